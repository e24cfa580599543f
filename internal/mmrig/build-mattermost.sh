#!/usr/bin/env bash
# Builds Mattermost server 6.7.2 from the Go module proxy into a cache folder outside the
# repository, once. Prints the folder that holds bin/mattermost (run it from that folder).
#
# Environment: GUICHET_CACHE (default ~/.cache/guichet).
set -euo pipefail
version=6.7.2
cache="${GUICHET_CACHE:-$HOME/.cache/guichet}"
dest="$cache/mattermost-$version"
if [ -x "$dest/bin/mattermost" ]; then
  echo "$dest"
  exit 0
fi
mkdir -p "$cache"
echo "building Mattermost $version once into $dest (about 5 minutes on 2 cores)…" >&2
dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "github.com/mattermost/mattermost-server/v6@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "could not download mattermost-server $version" >&2; exit 1; }
work="$dest.build.$$"
rm -rf "$work"
cp -r "$dir" "$work"
chmod -R u+w "$work"
rm -rf "$work/vendor"
(cd "$work" && GOFLAGS=-mod=mod go build -ldflags=-checklinkname=0 -o bin/mattermost ./cmd/mattermost) >&2
rm -rf "$dest"
mv "$work" "$dest"
echo "$dest"
