package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// `guichet version` prints one line naming the version, the commit and the Go release.
func TestVersionInProcess(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, &out, io.Discard))
	line := out.String()
	require.True(t, strings.HasPrefix(line, "guichet "), line)
	require.Contains(t, line, "commit ")
	require.Contains(t, line, runtime.Version())
	require.Equal(t, 1, strings.Count(line, "\n"))
	require.Error(t, run(context.Background(), []string{"version", "extra"}, io.Discard, io.Discard))
}

// A binary built as the Dockerfile builds it names the release and the commit given to the
// build with -ldflags -X.
func TestVersionOfABuiltBinary(t *testing.T) {
	t.Parallel()
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	require.NoError(t, err, "the test runs in the repository")
	commit := strings.TrimSpace(string(head))

	dockerfile, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	require.Contains(t, string(dockerfile), "-X guichet.dev/guichet/internal/buildinfo.version=${VERSION}")
	require.Contains(t, string(dockerfile), "-X guichet.dev/guichet/internal/buildinfo.commit=${COMMIT}")

	bin := filepath.Join(t.TempDir(), "guichet")
	build := exec.Command("go", "build", "-trimpath",
		"-ldflags=-X guichet.dev/guichet/internal/buildinfo.version=v9.8.7-test -X guichet.dev/guichet/internal/buildinfo.commit="+commit,
		"-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", b)

	out, err := exec.Command(bin, "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	line := string(out)
	require.True(t, strings.HasPrefix(line, "guichet v9.8.7-test (commit "+commit), line)
	require.Contains(t, line, runtime.Version())
}
