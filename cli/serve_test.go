package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// freePort returns a TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServe starts `ptd-proactive serve` and waits until it says where it listens.
func startServe(t *testing.T, dir string, env []string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(binaryEnv(dir), env...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "dashboard on http://"); i >= 0 && !sent {
				found <- strings.TrimSuffix(line[i+len("dashboard on "):], "/")
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case base := <-found:
		return cmd, base
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
		return nil, ""
	}
}

// mustGet GETs url. serve prints its address once it listens, so the
// first request is answered: no waiting, no retries.
func mustGet(t *testing.T, url string) *http.Response {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(url)
	require.NoError(t, err, "GET %s", url)
	return resp
}

func TestServeWithoutTokenListensOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	cmd, base := startServe(t, dir, []string{"PTD_SCHEDULE=off", "PTD_DATABASE_URL=" + filepath.Join(dir, "s.db")},
		"--addr", fmt.Sprintf("0.0.0.0:%d", port))
	require.Equal(t, fmt.Sprintf("http://127.0.0.1:%d", port), base, "no token: loopback only, whatever was asked")

	resp := mustGet(t, base+"/healthz")
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// The seed's path answers the response object.
	resp, err := http.Post(base+"/functions/v1/ptd-proactive", "application/json", nil)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	require.Equal(t, true, body["success"])
	require.Contains(t, body, "errors")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "SIGTERM is a clean shutdown (exit 0)")
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

func TestServeWithTokenRequiresIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	_, base := startServe(t, dir, []string{"PTD_SCHEDULE=off", "PTD_API_TOKEN=old-token-0123456789,new-token-0123456789",
		"PTD_ADDR=" + fmt.Sprintf("127.0.0.1:%d", port), "PTD_DATABASE_URL=" + filepath.Join(dir, "s.db")})
	mustGet(t, base+"/healthz").Body.Close()

	ctx := context.Background()
	get := func(token string) int {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/alerts", nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, get(""))
	require.Equal(t, http.StatusUnauthorized, get("wrong-token-0123456789"))
	require.Equal(t, http.StatusOK, get("old-token-0123456789"))
	require.Equal(t, http.StatusOK, get("new-token-0123456789"))
}

// TestServeDeskAPIAndMetrics: serve wires the desk's API and its metrics:
// an action through the API is counted, and the case gauge reads the
// store.
func TestServeDeskAPIAndMetrics(t *testing.T) {
	t.Parallel()
	s := stores(t)[0]
	loadFixture(t, s)
	scanJSON(t, s, "--now", fixtureNow)
	_, base := startServe(t, s.dir, []string{"PTD_SCHEDULE=off", "PTD_DATABASE_URL=" + s.url, "PTD_ADDR=" + fmt.Sprintf("127.0.0.1:%d", freePort(t))})

	resp, err := http.Post(base+"/api/v1/cases/health_drop:john%40example.com/ack", "application/json", strings.NewReader(`{"by": "ann"}`))
	require.NoError(t, err)
	var act struct {
		Cases []struct {
			State string `json:"state"`
		} `json:"cases"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&act))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "acknowledged", act.Cases[0].State)

	resp = mustGet(t, base+"/metrics")
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	metrics := string(b)
	require.Contains(t, metrics, `ptd_proactive_case_transitions_total{kind="acknowledged"} 1`)
	require.Contains(t, metrics, `ptd_proactive_cases{state="acknowledged",type="health_drop"} 1`)
	require.Contains(t, metrics, `ptd_proactive_cases{state="open",type="health_drop"} 1`)
	require.Contains(t, metrics, `ptd_proactive_cases{state="open",type="deal_stall"} 2`)
}
