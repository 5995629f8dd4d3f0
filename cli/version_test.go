package cli_test

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVersion: --version and the version command print the build's
// version line; version --json its fields.
func TestVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flag := mustRun(t, dir, nil, "--version")
	require.True(t, strings.HasPrefix(flag.stdout, "ptd-proactive "), flag.stdout)
	require.Contains(t, flag.stdout, runtime.Version())
	require.Equal(t, 1, strings.Count(flag.stdout, "\n"))
	cmd := mustRun(t, dir, nil, "version")
	require.Equal(t, flag.stdout, cmd.stdout)

	r := mustRun(t, dir, nil, "version", "--json")
	var v struct {
		Version   string `json:"version"`
		Modified  *bool  `json:"modified"`
		GoVersion string `json:"go_version"`
		Platform  string `json:"platform"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r.stdout)
	require.NotEmpty(t, v.Version)
	require.NotNil(t, v.Modified)
	require.Equal(t, runtime.Version(), v.GoVersion)
	require.Equal(t, runtime.GOOS+"/"+runtime.GOARCH, v.Platform)

	// --version belongs to the program, not to each command.
	r = run(t, dir, nil, "scan", "--version")
	require.Equal(t, 2, r.code)
}
