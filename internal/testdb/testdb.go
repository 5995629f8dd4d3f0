// Package testdb gives PostgreSQL tests a database of their own.
//
// Tests read the admin URL from PTD_TEST_DATABASE_URL (for example
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). Without it
// they are skipped, unless PTD_REQUIRE_POSTGRES=1, which makes them fail
// instead (CI sets it so that a missing server cannot pass for green).
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables the package reads.
const (
	// EnvURL names the admin URL of the test server.
	EnvURL = "PTD_TEST_DATABASE_URL"
	// EnvRequire, set to 1, turns a missing EnvURL into a failure.
	EnvRequire = "PTD_REQUIRE_POSTGRES"
)

// Prefix starts the name of every database MustDatabase and every schema
// MustSchema creates.
const Prefix = "ptd_test_"

// SharedDatabase is the database MustSchema creates its schemas in; it is
// created when missing and kept.
const SharedDatabase = "ptd_test_schemas"

// AdminURL returns the admin URL of the test server, skipping the test when
// PTD_TEST_DATABASE_URL is not set (failing it when PTD_REQUIRE_POSTGRES=1).
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: point it at a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", EnvURL, EnvRequire)
		}
		t.Skipf("%s is not set: skipping a PostgreSQL test", EnvURL)
	}
	return u
}

// MustDatabase creates a fresh database named ptd_test_<random> on the test
// server and returns its URL; the database is dropped (WITH (FORCE), so
// connections a test left open do not keep it) when the test ends.
func MustDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	name := randomName(t)
	dbURL, err := WithDatabase(admin, name)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testdb: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	return dbURL
}

// MustSchema creates a fresh schema named ptd_test_<random> in the shared
// test database (SharedDatabase) and returns a URL whose sessions use it
// alone (search_path); the schema is dropped with everything in it when
// the test ends. It is much cheaper than MustDatabase, for tests that
// neither terminate backends nor depend on database-wide state.
func MustSchema(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	shared, err := WithDatabase(admin, SharedDatabase)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ensureDatabase(ctx, admin, SharedDatabase); err != nil {
		t.Fatalf("testdb: create database %s: %v", SharedDatabase, err)
	}
	name := randomName(t)
	if err := adminExec(ctx, shared, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("testdb: create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := adminExec(ctx, shared, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Errorf("testdb: drop schema %s: %v", name, err)
		}
	})
	u, _ := url.Parse(shared)
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// ensureDatabase creates the database name unless it exists; a concurrent
// creator winning the race is not an error.
func ensureDatabase(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	exists := func() (bool, error) {
		var ok bool
		err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok)
		return ok, err
	}
	if ok, err := exists(); err != nil || ok {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		if ok, err2 := exists(); err2 == nil && ok {
			return nil
		}
		return err
	}
	return nil
}

// randomName returns Prefix followed by 16 random hex digits.
func randomName(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("testdb: random name: %v", err)
	}
	return Prefix + hex.EncodeToString(b[:])
}

// WithDatabase returns the URL u with its database name replaced by name.
func WithDatabase(u, name string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", EnvURL)
	}
	parsed.Path = "/" + name
	parsed.RawPath = ""
	return parsed.String(), nil
}

// adminExec runs one statement on a connection of its own to the admin URL.
func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// redact hides the password of a URL.
func redact(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "the admin URL (" + EnvURL + ")"
	}
	return parsed.Redacted()
}

// MustRole creates a login role named ptd_test_<random>, with no rights
// of its own (no superuser, no BYPASSRLS: row-level security applies to
// it), for the database at dbURL (a MustDatabase URL), and returns dbURL
// as that role and the role's name. The test grants it what it needs.
// When the test ends, whatever it owns or was granted in the database is
// dropped, then the role: cleanups run last-registered first, so this one
// runs while MustDatabase's database still exists.
func MustRole(t testing.TB, dbURL string) (roleURL, name string) {
	t.Helper()
	admin := AdminURL(t)
	name = randomName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE ROLE "+name+" LOGIN NOSUPERUSER NOBYPASSRLS"); err != nil {
		t.Fatalf("testdb: create role %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := adminExec(ctx, dbURL, "DROP OWNED BY "+name); err != nil {
			t.Errorf("testdb: drop what role %s owns: %v", name, err)
		}
		if err := adminExec(ctx, admin, "DROP ROLE IF EXISTS "+name); err != nil {
			t.Errorf("testdb: drop role %s: %v", name, err)
		}
	})
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("testdb: parse %s: %v", redact(dbURL), err)
	}
	u.User = url.User(name)
	return u.String(), name
}
