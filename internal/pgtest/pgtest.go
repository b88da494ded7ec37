// Package pgtest starts a throwaway PostgreSQL server for tests: initdb
// into a temporary directory, the server on a free port of 127.0.0.1 only
// (no Unix socket), owned by an unprivileged user when the tests run as
// root (initdb refuses root), and stopped when the test binary ends.
//
// It finds Debian's server binaries (package postgresql, installed by
// scripts/deps/postgres.sh) under /usr/lib/postgresql/*/bin or on PATH.
// With CI=true a server that cannot start fails the test; otherwise the
// test is skipped with the reason.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway PostgreSQL server.
type Server struct {
	// Port is the TCP port on 127.0.0.1.
	Port int
	// User and Password are the superuser's (password authentication is on
	// for TCP connections, so that tests can try a wrong one).
	User, Password string
	// Bin is the directory of the server's programs.
	Bin string

	dir  string
	cmd  *exec.Cmd
	cred *syscall.Credential
	dbs  atomic.Int64
	opts Options
}

// Options start a server elsewhere than on 127.0.0.1, for tests across
// network namespaces.
type Options struct {
	// Netns, when set, runs the server in that network namespace (ip netns
	// exec); the tests must run as root.
	Netns string
	// Listen is the server's listen_addresses (default 127.0.0.1).
	Listen string
	// Host is the address the tests connect to (default 127.0.0.1).
	Host string
	// Port, when not zero, is the port (default: a free one).
	Port int
	// AllowNet is a network (CIDR) whose clients may log in with a
	// password, besides loopback.
	AllowNet string
}

var (
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error
)

// Shared returns the server shared by the tests of this binary, starting it
// on first use; Stop (from TestMain) stops it. A server that cannot start
// skips the test, or fails it under CI=true.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = Start()
	}
	if sharedErr != nil {
		Unavailable(t, sharedErr)
	}
	return shared
}

// Unavailable fails the test under CI=true and skips it otherwise.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL test server: %v", err)
	}
	t.Skipf("PostgreSQL test server unavailable (scripts/deps/postgres.sh installs it): %v", err)
}

// Stop stops the shared server, if one was started, and removes its files.
func Stop() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
}

// FindBin returns the directory holding initdb and postgres.
func FindBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) }) // newest first
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append([]string{filepath.Dir(p)}, dirs...)
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no initdb and postgres found under /usr/lib/postgresql/*/bin or on PATH")
}

func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Start initialises a cluster in a new temporary directory and starts its
// server on a free port of 127.0.0.1.
func Start() (*Server, error) { return StartWith(Options{}) }

// StartWith starts a server as the options say.
func StartWith(opts Options) (*Server, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1"
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	s := &Server{Bin: bin, User: "ganbook", Password: randomHex(12), opts: opts}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and initdb refuses root: need the user postgres to own the cluster: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if s.dir, err = os.MkdirTemp("", "ganbook-pgtest-"); err != nil {
		return nil, err
	}
	data := filepath.Join(s.dir, "data")
	pwfile := filepath.Join(s.dir, "pw")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		s.removeDir()
		return nil, err
	}
	if s.cred != nil {
		for _, p := range []string{s.dir, pwfile} {
			if err := os.Chown(p, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
				s.removeDir()
				return nil, err
			}
		}
	}
	initdb := s.command(filepath.Join(bin, "initdb"), "-D", data, "-U", s.User, "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		s.removeDir()
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if opts.AllowNet != "" {
		hba := filepath.Join(data, "pg_hba.conf")
		f, err := os.OpenFile(hba, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = fmt.Fprintf(f, "host all all %s scram-sha-256\n", opts.AllowNet)
			f.Close()
		}
		if err != nil {
			s.removeDir()
			return nil, err
		}
	}
	var lastErr error
	for range 5 { // a free port can be taken between the probe and the server's bind
		if s.Port, err = freePort(); err != nil {
			break
		}
		if opts.Port != 0 {
			s.Port = opts.Port
		}
		if lastErr = s.startServer(data); lastErr == nil {
			return s, nil
		}
	}
	s.removeDir()
	if err != nil {
		return nil, err
	}
	return nil, lastErr
}

func (s *Server) startServer(data string) error {
	logPath := filepath.Join(s.dir, "server.log")
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close()
	if s.cred != nil {
		os.Chown(logPath, int(s.cred.Uid), int(s.cred.Gid))
	}
	// Durability settings off: the cluster is thrown away after the tests.
	args := []string{"-D", data, "-p", strconv.Itoa(s.Port),
		"-c", "listen_addresses=" + s.opts.Listen, "-c", "unix_socket_directories=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=128MB"}
	if s.opts.Netns == "" {
		s.cmd = s.command(filepath.Join(s.Bin, "postgres"), args...)
	} else {
		// ip netns exec and setpriv exec in turn: the server keeps this
		// child's pid, so Pdeathsig and Stop reach it.
		prefix := []string{"netns", "exec", s.opts.Netns}
		if s.cred != nil {
			prefix = append(prefix, "setpriv", fmt.Sprintf("--reuid=%d", s.cred.Uid), fmt.Sprintf("--regid=%d", s.cred.Gid), "--clear-groups")
		}
		s.cmd = exec.Command("ip", append(append(prefix, filepath.Join(s.Bin, "postgres")), args...)...)
		s.cmd.Dir = os.TempDir()
		s.cmd.Env = append(os.Environ(), "LC_ALL=C")
		s.cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	s.cmd.Stdout, s.cmd.Stderr = log, log
	// The server goes when the test binary goes, even if it never calls Stop.
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	exited := make(chan error, 1) // also reaps the server when it stops later
	go func() { exited <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case werr := <-exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited (%v):\n%s", werr, out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Kill()
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres did not accept connections in 60 s: %v\n%s", err, out)
		}
	}
}

// command runs a server program as the cluster's owner.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// URL returns the URL of a database of the server, with the superuser's
// password.
func (s *Server) URL(db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(s.User, s.Password), Host: net.JoinHostPort(s.opts.Host, strconv.Itoa(s.Port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// Exec runs statements on the server's postgres database as superuser.
func (s *Server) Exec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// NewDatabase creates an empty database for one test, dropped when the
// test ends, and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", s.dbs.Add(1), randomHex(4))
	ctx := context.Background()
	if err := s.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() { s.Exec(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	return s.URL(name)
}

// Stop stops the server (fast shutdown) and removes its files.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		if p, err := os.FindProcess(s.cmd.Process.Pid); err == nil {
			p.Signal(syscall.SIGINT)
		}
		for range 100 { // up to 10 s for a fast shutdown
			if err := syscall.Kill(s.cmd.Process.Pid, 0); err != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	s.removeDir()
}

// Restart stops the server and starts it again on the same port, for fault
// tests; down is how long it stays down.
func (s *Server) Restart(down time.Duration) error {
	pid := s.cmd.Process.Pid
	syscall.Kill(pid, syscall.SIGINT)
	for range 100 {
		if err := syscall.Kill(pid, 0); err != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(down)
	return s.startServer(filepath.Join(s.dir, "data"))
}

func (s *Server) removeDir() {
	if s.dir != "" && strings.Contains(s.dir, "ganbook-pgtest-") {
		os.RemoveAll(s.dir)
	}
}

// ExecURL runs statements on the database at url.
func ExecURL(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
