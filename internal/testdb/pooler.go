package testdb

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// EnvPgBouncer names the PgBouncer program StartPooler runs; by default it
// is looked up in PATH, then as /usr/sbin/pgbouncer (Debian's package).
const EnvPgBouncer = "PTD_PGBOUNCER"

// Pool modes of StartPooler, as PgBouncer's pool_mode spells them.
const (
	// SessionPooling gives each client a server connection for as long as
	// it is connected (PgBouncer's default, Supabase's session pooler).
	SessionPooling = "session"
	// TransactionPooling gives a client a server connection for one
	// transaction at a time (Supabase's transaction pooler, port 6543).
	TransactionPooling = "transaction"
)

// Pooler is a throwaway PgBouncer a test started in front of the test
// server (PTD_TEST_DATABASE_URL), on a free port of 127.0.0.1, with trust
// authentication. In transaction mode it keeps one server connection per
// database and user, so that what one client leaves on a server
// connection the next one meets. It is stopped when the test ends.
type Pooler struct {
	// Port is its TCP port on 127.0.0.1.
	Port int
}

// pgbouncerPath finds the PgBouncer program, "" when it is not installed.
func pgbouncerPath() string {
	if p := os.Getenv(EnvPgBouncer); p != "" {
		return p
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
		return "/usr/sbin/pgbouncer"
	}
	return ""
}

// StartPooler starts a PgBouncer in the given pool mode in front of the
// test server, as the current user or, when the test runs as root (which
// PgBouncer refuses), as the user postgres. It skips the test when the
// test server is not configured (AdminURL) or PgBouncer is not installed.
func StartPooler(t testing.TB, mode string) *Pooler {
	t.Helper()
	admin := AdminURL(t)
	bin := pgbouncerPath()
	if bin == "" {
		t.Skipf("testdb: PgBouncer is not installed (apt-get install pgbouncer), or set %s to the program: skipping a connection pooler test", EnvPgBouncer)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testdb: parse %s: %v", EnvURL, err)
	}
	user := u.User.Username()
	if user == "" {
		user = "postgres"
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "5432"
	}
	cred, uid, gid := credential(t)
	dir, err := os.MkdirTemp("", "ptd-pooler-")
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &Pooler{Port: freePort(t)}
	size := 20 // a session holds its server connection: room for a pool's
	if mode == TransactionPooling {
		size = 1
	}
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = %s
default_pool_size = %d
max_client_conn = 100
logfile = %s
`, host, port, p.Port, filepath.Join(dir, "users.txt"), mode, size, filepath.Join(dir, "pgbouncer.log"))
	files := map[string]string{
		"pgbouncer.ini": ini,
		"users.txt":     strconv.Quote(user) + ` ""` + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatalf("testdb: %v", err)
		}
	}
	for _, name := range []string{"", "pgbouncer.ini", "users.txt"} {
		if err := os.Chown(filepath.Join(dir, name), uid, gid); err != nil {
			t.Fatalf("testdb: give %s to PgBouncer's user: %v", dir, err)
		}
	}
	// What it prints before its log file is open (a bad setting, say).
	out, err := os.Create(filepath.Join(dir, "pgbouncer.out"))
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	cmd.Stdout, cmd.Stderr = out, out
	done := supervise(t, cmd, "pgbouncer", 10*time.Second, func() { out.Close() })
	logText := func() string {
		early, _ := os.ReadFile(out.Name())
		log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
		return string(early) + string(log)
	}
	waitAccepting(t, fmt.Sprintf("pgbouncer on port %d", p.Port), p.URL(t, admin), done, 20*time.Second, logText)
	return p
}

// URL returns dbURL (a URL of the test server) pointed at the pooler
// instead: the same user, database and query parameters.
func (p *Pooler) URL(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("testdb: parse %s: %v", redact(dbURL), err)
	}
	u.Host = "127.0.0.1:" + strconv.Itoa(p.Port)
	return u.String()
}
