// Package dbtest gives tests a real PostgreSQL database of their own.
//
// The server is the one at TEST_DATABASE_URL or DATABASE_URL when set (its user must be
// allowed to create databases); otherwise a throwaway cluster is started from the machine's
// PostgreSQL binaries (see package pgserver) and stopped when the tests end. Each call to New
// creates a fresh database cloned from a migrated template, dropped at the end of the test.
//
// A package using it must run its tests through Main:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"guichet.dev/guichet/db"
	"guichet.dev/guichet/pgserver"
)

var (
	once     sync.Once
	setupErr error
	server   *pgserver.Server
	adminURL string
	template string
	createMu sync.Mutex
)

// Main runs the tests and stops the throwaway server, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	if server != nil {
		_ = server.Stop()
	}
	os.Exit(code)
}

// AdminURL returns the URL of a database on the test server with rights to create databases,
// starting the server if needed.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	once.Do(setup)
	if setupErr != nil {
		tb.Fatalf("test database: %v", setupErr)
	}
	return adminURL
}

// Server returns the throwaway server, or nil when tests use TEST_DATABASE_URL/DATABASE_URL.
func Server(tb testing.TB) *pgserver.Server {
	AdminURL(tb)
	return server
}

func setup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adminURL = os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL = os.Getenv("DATABASE_URL")
	}
	if adminURL == "" {
		server, setupErr = pgserver.Start(ctx, "")
		if setupErr != nil {
			return
		}
		adminURL = server.URL("postgres")
	}
	template = "guichet_template"
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		setupErr = err
		return
	}
	defer admin.Close()
	// Several test binaries may share one server: build the template under an advisory lock
	// and always from scratch, so it carries the current migrations.
	conn, err := admin.Conn(ctx)
	if err != nil {
		setupErr = err
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		setupErr = err
		return
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(727274)`)
	template = "guichet_template_" + randomSuffix()
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+template); err != nil {
		setupErr = fmt.Errorf("create template: %w", err)
		return
	}
	if _, err := db.MigrateURL(ctx, withDB(adminURL, template)); err != nil {
		setupErr = err
		return
	}
}

// URL returns the URL of a fresh, migrated database dropped when the test ends.
func URL(tb testing.TB) string {
	tb.Helper()
	admin := AdminURL(tb)
	name := "guichet_test_" + randomSuffix()
	adb, err := sql.Open("postgres", admin)
	if err != nil {
		tb.Fatal(err)
	}
	defer adb.Close()
	createMu.Lock()
	_, err = adb.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + template)
	createMu.Unlock()
	if err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		adb, err := sql.Open("postgres", admin)
		if err != nil {
			return
		}
		defer adb.Close()
		_, _ = adb.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	return withDB(admin, name)
}

// New returns a *db.DB on a fresh, migrated database, closed and dropped when the test ends.
func New(tb testing.TB) *db.DB {
	tb.Helper()
	u := URL(tb)
	d, err := db.Open(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

func withDB(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return raw + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
