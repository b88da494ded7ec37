package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/internal/pgtest"
)

// Every tracker command works on a PostgreSQL database given as --db or
// GANBOOK_DB, and the password of its URL appears in no output and not in
// the stored command line.
func TestPostgresCommands(t *testing.T) {
	srv := pgtest.Shared(t)
	url := srv.NewDatabase(t)
	dir := t.TempDir()
	var outputs []string
	run := func(env []string, args ...string) result {
		t.Helper()
		r := runGanbook(t, dir, env, args...)
		outputs = append(outputs, r.stdout, r.stderr)
		if r.exitCode != 0 {
			t.Fatalf("ganbook %s: exit %d\n%s\n%s", strings.Join(args, " "), r.exitCode, r.stdout, r.stderr)
		}
		return r
	}
	idLine := regexp.MustCompile(`run: ([0-9a-f]{32})`)
	var ids []string
	for _, name := range []string{"first", "second"} {
		r := run(nil, "train", "--db", url, "--steps", "3", "--name", name, "--out", filepath.Join(dir, name), "--sample-every", "2")
		m := idLine.FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("train printed no run id:\n%s", r.stdout)
		}
		ids = append(ids, m[1])
	}
	var listed []listedRun
	if err := json.Unmarshal([]byte(run(nil, "runs", "--json", "--db", url).stdout), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0].Name != "second" || listed[0].Status != "FINISHED" || listed[1].Metrics["d_loss"].Count != 3 {
		t.Errorf("runs --json: %+v", listed)
	}
	env := []string{"GANBOOK_DB=" + url}
	if r := run(env, "runs"); !strings.Contains(r.stdout, "first") || !strings.Contains(r.stdout, "second") {
		t.Errorf("runs with GANBOOK_DB:\n%s", r.stdout)
	}
	var shown struct {
		Record struct {
			CommandLine []string `json:"command_line"`
		} `json:"record"`
		Images []struct{ Step int } `json:"images"`
	}
	if err := json.Unmarshal([]byte(run(env, "show", "--json", ids[0][:8]).stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if cl := strings.Join(shown.Record.CommandLine, " "); !strings.Contains(cl, "--db postgres://"+srv.User+":xxxxx@") {
		t.Errorf("recorded command line %q; want the --db URL with its password redacted", cl)
	}
	if len(shown.Images) == 0 {
		t.Error("show --json lists no images")
	}
	run(env, "show", ids[0])
	if r := run(env, "compare", ids[0], ids[1]); !strings.Contains(r.stdout, "d_loss") {
		t.Errorf("compare:\n%s", r.stdout)
	}
	if r := run(env, "export", ids[0], "--format", "csv"); strings.Count(r.stdout, ",d_loss,") != 3 {
		t.Errorf("export: want 3 d_loss rows:\n%s", r.stdout)
	}
	r := run(env, "reproduce", ids[0][:8], "--out", filepath.Join(dir, "again"), "--strict")
	for _, key := range []string{"d_loss", "g_loss"} {
		if !regexp.MustCompile(key + `\s+bitwise match over 3 steps`).MatchString(r.stdout) {
			t.Errorf("reproduce on PostgreSQL does not report a bitwise %s match:\n%s", key, r.stdout)
		}
	}
	if r := run(env, "eval", ids[0][:8], "--samples", "200"); !regexp.MustCompile(`step 3: FID \d+\.\d+\s+coverage \d+/10`).MatchString(r.stdout) {
		t.Errorf("eval on PostgreSQL printed no FID line:\n%s", r.stdout)
	}
	run(env, "tag", ids[0][:6], "keep=yes")
	if r := run(env, "rm", "--yes", ids[1]); !strings.Contains(r.stdout, "deleted "+ids[1]) || !strings.Contains(r.stdout, "freed ") {
		t.Errorf("rm:\n%s", r.stdout)
	}
	if err := json.Unmarshal([]byte(run(env, "runs", "--json", "--filter", "tags.keep = 'yes'").stdout), &listed); err != nil || len(listed) != 1 || listed[0].ID != ids[0] {
		t.Errorf("runs after tag and rm: %+v, %v", listed, err)
	}
	for _, out := range outputs {
		if strings.Contains(out, srv.Password) {
			t.Fatalf("an output shows the database password:\n%s", out)
		}
	}
}

// Wrong password, unknown database, server down: a clear error before any
// training, without the password.
func TestPostgresBadTargets(t *testing.T) {
	srv := pgtest.Shared(t)
	dir := t.TempDir()
	good := srv.URL("postgres")
	tests := []struct {
		name, url, want string
	}{
		{"wrong password", strings.Replace(good, srv.Password, "wrong-"+srv.Password[:4], 1), "user name or password"},
		{"unknown database", strings.Replace(good, "/postgres?", "/no_such_db?", 1), "no such database"},
		{"server down", "postgres://" + srv.User + ":" + srv.Password + "@127.0.0.1:1/x?sslmode=disable", "cannot reach the server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, args := range [][]string{{"train", "--steps", "2", "--out", filepath.Join(dir, "o")}, {"runs"}} {
				r := runGanbook(t, dir, nil, append(args, "--db", tt.url)...)
				if r.exitCode == 0 || !strings.Contains(r.stderr, tt.want) {
					t.Errorf("%s: exit %d; want an error saying %q:\n%s", args[0], r.exitCode, tt.want, r.stderr)
				}
				if strings.Contains(r.stderr+r.stdout, srv.Password) {
					t.Errorf("%s: the output shows the password:\n%s", args[0], r.stderr)
				}
				if strings.Contains(r.stderr, "step 1/") {
					t.Errorf("%s: training started before the database was checked:\n%s", args[0], r.stderr)
				}
			}
		})
	}
}
