package cli_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/coverage"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptd-agents/ptd-proactive/cli"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
)

// update rewrites the golden files: go test ./cli -update
var update = flag.Bool("update", false, "rewrite golden files")

// asBinaryEnv, set to 1, makes this test executable be ptd-proactive:
// TestMain runs cli.Main on the command line, as cmd/ptd-proactive does,
// instead of the tests. The CLI tests run it so, as a separate process
// (exit status, signals, standard streams), yet through the code this
// test executable was built from: in a coverage run (go test -cover) what
// those processes run counts in package cli's coverage.
const asBinaryEnv = "CLI_TEST_RUN_AS_PTD_PROACTIVE"

// binary is the executable the CLI tests run: this test executable, which
// is ptd-proactive when asBinaryEnv is set (binaryEnv sets it).
var binary string

// coverDir is where a coverage run collects counters (the test flag
// -test.gocoverdir, which go test -cover sets); "" otherwise.
var coverDir string

func TestMain(m *testing.M) {
	if os.Getenv(asBinaryEnv) == "1" {
		os.Exit(runAsBinary())
	}
	flag.Parse()
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "find the test executable:", err)
		os.Exit(1)
	}
	binary = exe
	if f := flag.Lookup("test.gocoverdir"); f != nil && testing.CoverMode() != "" {
		coverDir = f.Value.String()
	}
	os.Exit(m.Run())
}

// runAsBinary is cmd/ptd-proactive's main: the command line through
// cli.Main, SIGINT and SIGTERM for a graceful stop; then, in a coverage
// run, this process's counters go to GOCOVERDIR, where go test -cover
// merges them with the test process's own.
func runAsBinary() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, cli.IO{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		SetMemoryLimit: debug.SetMemoryLimit})
	stop()
	if dir := os.Getenv("GOCOVERDIR"); dir != "" && testing.CoverMode() != "" {
		if err := coverage.WriteMetaDir(dir); err != nil {
			fmt.Fprintln(os.Stderr, "write coverage meta-data:", err)
		}
		if err := coverage.WriteCountersDir(dir); err != nil {
			fmt.Fprintln(os.Stderr, "write coverage counters:", err)
		}
	}
	return code
}

// binaryEnv is the environment every run of the binary starts from: the
// switch that makes it ptd-proactive, PATH, HOME in the test's directory,
// and GOCOVERDIR in a coverage run.
func binaryEnv(home string) []string {
	env := []string{asBinaryEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + home}
	if coverDir != "" {
		env = append(env, "GOCOVERDIR="+coverDir)
	}
	return env
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
	cmd.Env = append(binaryEnv(dir), env...)
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
