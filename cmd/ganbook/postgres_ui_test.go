package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
)

// viewerGrants are the README's grants for a role that may only read the
// tracker's tables, as `ganbook ui` needs.
const viewerGrants = `
CREATE ROLE ganbook_viewer LOGIN PASSWORD 'viewer-pw';
GRANT CONNECT ON DATABASE %s TO ganbook_viewer;`

// ganbook ui serves a PostgreSQL database through a role that may only
// SELECT, and writes nothing: a run whose heartbeat is stale shows as
// KILLED while its stored status stays RUNNING.
func TestPostgresUIWithSelectOnlyRole(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	url := srv.NewDatabase(t)
	b, err := tracker.OpenBackend(url, tracker.BackendConfig{}) // creates the schema
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Repeat("5e", 16)
	err = b.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "e", Name: "stale-run", StartTime: time.Now().Add(-time.Hour), HeartbeatTimeout: time.Second})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	dbName := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
	for _, stmt := range strings.Split(strings.TrimSpace(strings.ReplaceAll(viewerGrants, "%s", dbName)), "\n") {
		if err := srv.Exec(ctx, stmt); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	// GRANT ... ON ALL TABLES runs in the database itself.
	if err := pgtest.ExecURL(ctx, url, `GRANT USAGE ON SCHEMA public TO ganbook_viewer; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ganbook_viewer`); err != nil {
		t.Fatal(err)
	}
	viewer := strings.Replace(url, srv.User+":"+srv.Password, "ganbook_viewer:viewer-pw", 1)

	// The role cannot write: a read-write open (which would migrate or
	// expire runs) is refused, as is a write.
	if s, err := tracker.Open(viewer); err == nil {
		_, err = s.Runs(ctx, tracker.RunQuery{})
		s.Close()
		if err == nil {
			t.Error("a read-write store through the SELECT-only role expired no run and raised no error")
		}
	}

	cmd := exec.Command(ganbookBin, "ui", "--db", viewer, "--addr", "127.0.0.1:0")
	cmd.Env = os.Environ()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("ui said nothing: %v\n%s", err, stderr.String())
	}
	if strings.Contains(line, "viewer-pw") {
		t.Errorf("ui prints the password: %s", line)
	}
	addr := regexp.MustCompile(`http://[^/ ]+/`).FindString(line)
	if addr == "" {
		t.Fatalf("no address in %q", line)
	}
	for _, page := range []string{"", "runs/" + id[:8]} {
		resp, err := http.Get(addr + page)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "KILLED") || !strings.Contains(string(body), "stale-run") {
			t.Errorf("GET /%s: %d; want 200 showing stale-run as KILLED\n%.2000s", page, resp.StatusCode, body)
		}
	}
	ro, err := tracker.OpenBackend(url, tracker.BackendConfig{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	info, err := ro.Run(ctx, id, time.Unix(0, 0))
	if err != nil || info.Status != tracker.StatusRunning {
		t.Errorf("stored status %s, %v; want RUNNING: the UI must not write", info.Status, err)
	}
}
