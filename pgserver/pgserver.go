// Package pgserver starts a throwaway PostgreSQL cluster from the machine's PostgreSQL
// binaries (initdb, pg_ctl), for tests, the demo and the end-to-end rig. When the process runs
// as root, the cluster runs as the "postgres" user, since PostgreSQL refuses to run as root.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a running throwaway cluster listening on 127.0.0.1:Port, with trust
// authentication for the superuser "postgres".
type Server struct {
	Dir  string
	Port int
	bin  string
	cred *syscall.Credential
}

// FindBin returns the folder holding initdb and pg_ctl: $PG_BIN if set, then the PATH, then
// /usr/lib/postgresql/<newest>/bin.
func FindBin() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	var dirs []string
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(versions) - 1; i >= 0; i-- {
		dirs = append(dirs, versions[i])
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
				return d, nil
			}
		}
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL binaries (initdb, pg_ctl) not found: install PostgreSQL or set PG_BIN")
}

// Start initialises a cluster in a new folder under parent (os.TempDir() when empty) and
// starts it on a free loopback port. Stop it with Stop.
func Start(ctx context.Context, parent string) (*Server, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "guichet-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user to run PostgreSQL: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.Port = port
		out, err := s.start(ctx)
		if err == nil {
			return s, nil
		}
		if !strings.Contains(string(out)+readFile(filepath.Join(dir, "log")), "already in use") {
			return nil, fmt.Errorf("pg_ctl start: %w: %s %s", err, out, readFile(filepath.Join(dir, "log")))
		}
	}
	return nil, errors.New("pg_ctl start: no free port after 5 tries")
}

// URL returns the connection URL of a database on the server.
func (s *Server) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, dbname)
}

// Stop stops the server immediately and removes its folder.
func (s *Server) Stop() error {
	_, err := s.run(context.Background(), "pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.Dir)
	return err
}

// Restart stops the server (fast) and starts it again on the same port, keeping the data.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.StopKeep(ctx); err != nil {
		return err
	}
	return s.StartAgain(ctx)
}

// StopKeep stops the server (fast) keeping its data; StartAgain starts it again.
func (s *Server) StopKeep(ctx context.Context) error {
	out, err := s.run(ctx, "pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

// StartAgain starts a server stopped by StopKeep on the same port.
func (s *Server) StartAgain(ctx context.Context) error {
	if out, err := s.start(ctx); err != nil {
		return fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	return nil
}

// start runs pg_ctl start on s.Port. Durability is traded for speed (fsync off): the cluster
// is throwaway.
func (s *Server) start(ctx context.Context) ([]byte, error) {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB", s.Port, s.Dir)
	return s.run(ctx, "pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-l", filepath.Join(s.Dir, "log"), "-o", opts, "-w", "-t", "60", "start")
}

func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	// pg_ctl start leaves the server running with our stdout otherwise, which would keep a
	// pipe open: write to a file instead.
	f, err := os.CreateTemp("", "pgserver-out-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return out, err
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitReady waits until the server accepts connections or ctx ends.
func (s *Server) WaitReady(ctx context.Context) error {
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
