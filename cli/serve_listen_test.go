package cli_test

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServePrintsTheBoundAddress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, base := startServe(t, dir, []string{"PTD_SCHEDULE=off", "PTD_DATABASE_URL=" + filepath.Join(dir, "s.db")},
		"--addr", "127.0.0.1:0")
	require.Regexp(t, regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*$`), base, "the port the kernel chose, not :0")
	resp := mustGet(t, base+"/healthz")
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestServeOnATakenPortFailsBeforeAnyWork(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	dir := t.TempDir()
	res := run(t, dir, []string{"PTD_DATABASE_URL=" + filepath.Join(dir, "s.db")},
		"serve", "--addr", ln.Addr().String())
	require.Equal(t, 1, res.code, res.stderr)
	require.Contains(t, res.stderr, fmt.Sprintf("listen on %s", ln.Addr()))
	require.Contains(t, res.stderr, "PTD_ADDR")
	require.NotContains(t, res.stderr, "schedule started", "no background work on a port that cannot be served")
	require.NotContains(t, res.stderr, "dashboard on")
}
