// Package buildinfo tells which Guichet is running: its version, the commit it was built from
// and the Go release that compiled it, for `guichet version` and the guichet_build_info metric.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// version and commit are what the build says, set with -ldflags
// "-X guichet.dev/guichet/internal/buildinfo.version=v1.2.3 -X …buildinfo.commit=<sha>" (the
// Dockerfile does, from its VERSION and COMMIT build arguments: the image's build context has
// no .git for the Go toolchain to read). Empty, Read falls back to what the toolchain stamped.
var version, commit string

// Info describes the running binary.
type Info struct {
	// Version is the release set at build time, else the main module's version as the Go
	// toolchain stamped it (a pseudo-version, or "(devel)"), else "unknown".
	Version string
	// Commit is the revision set at build time, else the VCS revision the toolchain stamped
	// (suffixed "-dirty" when the work tree had uncommitted changes), else "unknown" (go test,
	// -buildvcs=false, a build outside a repository).
	Commit string
	// GoVersion is the Go release that compiled the binary, e.g. "go1.26.1".
	GoVersion string
}

// Read returns the running binary's Info. It never fails: what the build did not record is
// "unknown".
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuild(version, commit, bi)
}

// fromBuild makes the Info of a binary given the -X values and its build information (nil if
// none).
func fromBuild(version, commit string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if bi != nil {
		if info.Version == "" {
			info.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		var revision, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if info.Commit == "" && revision != "" {
			info.Commit = revision
			if modified == "true" {
				info.Commit += "-dirty"
			}
		}
	}
	if info.Version == "" {
		info.Version = "unknown"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	return info
}
