package cli

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersionFromBuildInfo(t *testing.T) {
	t.Parallel()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want versionInfo
		line string
	}{
		{
			name: "release build from a clean checkout",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ptd-agents/ptd-proactive", Version: "v1.2.0"},
				Settings: []debug.BuildSetting{
					{Key: "-trimpath", Value: "true"},
					{Key: "vcs", Value: "git"},
					{Key: "vcs.revision", Value: "59eb953abcdef0123456789abcdef0123456789a"},
					{Key: "vcs.time", Value: "2025-12-01T01:29:21Z"},
					{Key: "vcs.modified", Value: "false"},
				}},
			want: versionInfo{Version: "v1.2.0", Commit: "59eb953abcdef0123456789abcdef0123456789a", CommitTime: "2025-12-01T01:29:21Z", GoVersion: "go1.26.8", Platform: platform},
			line: "ptd-proactive v1.2.0 (commit 59eb953abcde, committed 2025-12-01T01:29:21Z; go1.26.8 " + platform + ")",
		},
		{
			name: "a modified tree",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20251201012921-59eb953abcde+dirty"},
				Settings: []debug.BuildSetting{
					{Key: "vcs.revision", Value: "59eb953abcdef0123456789abcdef0123456789a"},
					{Key: "vcs.time", Value: "2025-12-01T01:29:21Z"},
					{Key: "vcs.modified", Value: "true"},
				}},
			want: versionInfo{Version: "v0.0.0-20251201012921-59eb953abcde+dirty", Commit: "59eb953abcdef0123456789abcdef0123456789a", Modified: true,
				CommitTime: "2025-12-01T01:29:21Z", GoVersion: "go1.26.8", Platform: platform},
			line: "ptd-proactive v0.0.0-20251201012921-59eb953abcde+dirty (commit 59eb953abcde with uncommitted changes, committed 2025-12-01T01:29:21Z; go1.26.8 " + platform + ")",
		},
		{
			name: "go run: no VCS stamp",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			want: versionInfo{Version: "(devel)", GoVersion: "go1.26.8", Platform: platform},
			line: "ptd-proactive (devel) (no VCS information; go1.26.8 " + platform + ")",
		},
		{
			name: "no build information",
			want: versionInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: platform},
			line: "ptd-proactive (devel) (no VCS information; " + runtime.Version() + " " + platform + ")",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := versionFrom(tc.bi, tc.bi != nil)
			require.Equal(t, tc.want, v)
			require.Equal(t, tc.line, v.String())
		})
	}
}
