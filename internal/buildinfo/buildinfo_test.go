package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFromBuild(t *testing.T) {
	t.Parallel()
	stamped := &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20250101000000-abcdef123456"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.modified", Value: "false"}}}
	for name, tc := range map[string]struct {
		version, commit string
		bi              *debug.BuildInfo
		want            Info
	}{
		"toolchain stamp": {bi: stamped, want: Info{"v0.0.0-20250101000000-abcdef123456", "abcdef1234567890", "go1.26.1"}},
		"ldflags win":     {version: "v1.2.3", commit: "feedbeef", bi: stamped, want: Info{"v1.2.3", "feedbeef", "go1.26.1"}},
		"dirty tree": {bi: &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			want: Info{"(devel)", "abc-dirty", "go1.26.1"}},
		"nothing recorded": {want: Info{"unknown", "unknown", runtime.Version()}},
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, fromBuild(tc.version, tc.commit, tc.bi))
		})
	}
}
