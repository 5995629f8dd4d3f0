package testdb

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvBinDir names the directory of the PostgreSQL server programs (initdb,
// postgres, pg_basebackup) the cluster helpers run; by default they are
// looked up in PATH, then in /usr/lib/postgresql/*/bin (the newest).
const EnvBinDir = "PTD_PG_BINDIR"

// Cluster is a throwaway PostgreSQL server a test started in a temporary
// directory on a free port: a primary (StartPrimary) or a streaming
// standby of one (StartStandby). It is stopped and its directory removed
// when the test ends.
type Cluster struct {
	// URL connects to its postgres database as the superuser postgres.
	URL string
	// Port is its TCP port on 127.0.0.1.
	Port int
	// Dir is its data directory.
	Dir string

	bin  string
	cred *syscall.Credential // nil: run as the current user
	proc *exec.Cmd
}

// serverBinDir finds the directory of the server programs, "" when they
// are not installed: PTD_PG_BINDIR, the directory initdb in PATH links to,
// or the newest /usr/lib/postgresql/*/bin; the first that holds initdb,
// postgres and pg_basebackup.
func serverBinDir() string {
	var dirs []string
	if dir := os.Getenv(EnvBinDir); dir != "" {
		dirs = append(dirs, dir)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	installed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(installed, func(i, j int) bool { return versionOf(installed[i]) > versionOf(installed[j]) })
	dirs = append(dirs, installed...)
	for _, d := range dirs {
		complete := true
		for _, prog := range []string{"initdb", "postgres", "pg_basebackup"} {
			if _, err := os.Stat(filepath.Join(d, prog)); err != nil {
				complete = false
			}
		}
		if complete {
			return d
		}
	}
	return ""
}

// versionOf reads the major version of /usr/lib/postgresql/<v>/bin.
func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// credential returns who runs the server: the current user, or the user
// postgres when the test runs as root (the server refuses root).
func credential(t testing.TB) (*syscall.Credential, int, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, os.Geteuid(), os.Getegid()
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("testdb: running as root and there is no user postgres to run a PostgreSQL server as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testdb: find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newCluster prepares a Cluster in a new directory owned by whoever runs
// the server. It skips the test when the server programs are missing.
func newCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := serverBinDir()
	if bin == "" {
		t.Skipf("testdb: the PostgreSQL server programs (initdb, postgres, pg_basebackup) are not installed: set %s to their directory to run this test", EnvBinDir)
	}
	cred, uid, gid := credential(t)
	// Not t.TempDir(): its parents are private to the current user.
	dir, err := os.MkdirTemp("", "ptd-cluster-")
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatalf("testdb: give %s to the server's user: %v", dir, err)
	}
	port := freePort(t)
	return &Cluster{
		URL:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		Port: port, Dir: filepath.Join(dir, "data"), bin: bin, cred: cred,
	}
}

// run runs one of the server programs as the server's user and fails the
// test with its output when it fails.
func (c *Cluster) run(t testing.TB, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	cmd.Dir = filepath.Dir(c.Dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("testdb: %s %v: %v\n%s", name, args, err, out.String())
	}
}

// start starts the server on the data directory and waits until it
// accepts connections; it is stopped when the test ends.
func (c *Cluster) start(t testing.TB) {
	t.Helper()
	log, err := os.Create(filepath.Join(filepath.Dir(c.Dir), "server.log"))
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.Dir, "-p", strconv.Itoa(c.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+filepath.Dir(c.Dir),
		"-c", "fsync=off", "-c", "shared_buffers=16MB", "-c", "max_connections=40",
		"-c", "wal_level=replica", "-c", "max_wal_senders=4", "-c", "hot_standby=on",
		// A standby's queries are never cancelled for replay, nor replay held for them.
		"-c", "hot_standby_feedback=on", "-c", "max_standby_streaming_delay=-1",
		"-c", "wal_receiver_status_interval=1s")
	// Its own process group, so that a signal to the test never reaches it
	// before the cleanup stops it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true}
	cmd.Stdout, cmd.Stderr = log, log
	c.proc = cmd
	done := supervise(t, cmd, "postgres", 30*time.Second, func() { log.Close() })
	logText := func() string { out, _ := os.ReadFile(log.Name()); return string(out) }
	waitAccepting(t, fmt.Sprintf("postgres on port %d", c.Port), c.URL, done, 60*time.Second, logText)
}

// supervise starts cmd, already set up to run in a process group of its
// own, and stops it when the test ends: SIGINT (PostgreSQL's fast
// shutdown, PgBouncer's safe one), then SIGKILL after grace. The channel
// closes when it has exited, after closed (nil: nothing to close).
func supervise(t testing.TB, cmd *exec.Cmd, name string, grace time.Duration, closed func()) <-chan struct{} {
	t.Helper()
	if err := cmd.Start(); err != nil {
		if closed != nil {
			closed()
		}
		t.Fatalf("testdb: start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		if closed != nil {
			closed()
		}
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(grace):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return done
}

// waitAccepting waits until url accepts connections, failing the test,
// with logText's output, when the server (what) exits first (done) or
// does not accept them within the limit.
func waitAccepting(t testing.TB, what, url string, done <-chan struct{}, within time.Duration, logText func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return
		}
		cancel()
		select {
		case <-done:
			t.Fatalf("testdb: %s exited:\n%s", what, logText())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("testdb: %s does not accept connections: %v\n%s", what, err, logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartPrimary initialises and starts a throwaway PostgreSQL primary
// (initdb, trust authentication, replication allowed from 127.0.0.1) as
// the current user, or as the user postgres when the test runs as root. It
// skips the test when the server programs are not installed.
func StartPrimary(t testing.TB) *Cluster {
	t.Helper()
	c := newCluster(t)
	c.run(t, "initdb", "-D", c.Dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C")
	c.start(t)
	return c
}

// StartStandby takes a base backup of the primary (pg_basebackup -R, which
// writes standby.signal and primary_conninfo) and starts it as a hot
// standby streaming from the primary.
func (c *Cluster) StartStandby(t testing.TB) *Cluster {
	t.Helper()
	s := newCluster(t)
	s.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres",
		"-D", s.Dir, "-R", "-X", "stream", "-c", "fast", "--no-sync")
	s.start(t)
	return s
}

// CaughtUp waits until the standby s has replayed everything its primary
// had written when it was called (the primary's current WAL position), so
// that what a test just wrote there can be read on s. It fails the test
// after 30 seconds.
func (s *Cluster) CaughtUp(t testing.TB, primary *Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := pgx.Connect(ctx, primary.URL)
	if err != nil {
		t.Fatalf("connect to the primary: %v", err)
	}
	defer p.Close(context.Background())
	var lsn string
	if err := p.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		t.Fatalf("read the primary's WAL position: %v", err)
	}
	sc, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		t.Fatalf("connect to the standby: %v", err)
	}
	defer sc.Close(context.Background())
	for {
		var done bool
		if err := sc.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&done); err != nil {
			t.Fatalf("read the standby's replay position: %v", err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the standby did not replay the primary's WAL up to %s within 30s", lsn)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
