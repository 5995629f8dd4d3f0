package cli_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptd-agents/ptd-proactive/internal/testdb"
)

// update rewrites the golden files: go test ./cli -update
var update = flag.Bool("update", false, "rewrite golden files")

// binary is the ptd-proactive binary built once for the CLI tests.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "ptd-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ptd-proactive")
	build := exec.Command("go", "build", "-o", binary, "../cmd/ptd-proactive")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build ptd-proactive:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary in dir with the given environment additions.
func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runWith(t, dir, env, "", args...)
}

// runStdin runs the binary in dir with stdin as its standard input.
func runStdin(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	return runWith(t, dir, nil, stdin, args...)
}

// runWith runs the binary in dir with environment additions and a
// standard input, and returns its exit status and output.
func runWith(t *testing.T, dir string, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return res
}

// mustRun runs the binary and fails the test unless it exits 0.
func mustRun(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	r := run(t, dir, env, args...)
	if r.code != 0 {
		t.Fatalf("ptd-proactive %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// store is one database the CLI tests run against.
type store struct {
	name string
	url  string
	dir  string // working directory for the commands
}

// stores returns a fresh SQLite database and a fresh PostgreSQL database
// (when PTD_TEST_DATABASE_URL is set; required with PTD_REQUIRE_POSTGRES=1).
func stores(t *testing.T) []store {
	t.Helper()
	dir := t.TempDir()
	out := []store{{name: "sqlite", url: filepath.Join(dir, "ptd.db"), dir: dir}}
	if os.Getenv("PTD_TEST_DATABASE_URL") != "" || os.Getenv("PTD_REQUIRE_POSTGRES") == "1" {
		out = append(out, store{name: "postgres", url: testdb.MustDatabase(t), dir: t.TempDir()})
	}
	return out
}
