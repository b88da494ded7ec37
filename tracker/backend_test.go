package tracker_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/tracker"
)

func TestScheme(t *testing.T) {
	tests := []struct{ location, want string }{
		{"ganbook.db", "sqlite"},
		{"runs/x.db", "sqlite"},
		{"/abs/x.db", "sqlite"},
		{"sqlite:runs/x.db", "sqlite"},
		{"SQLite:///abs/x.db", "sqlite"},
		{"postgres://u@h:5432/db", "postgres"},
		{"mysql://u@h/db", "mysql"},
		{"odd:name.db", "sqlite"}, // not a registered scheme, not a URL: a file name
		{"3x://a", "sqlite"},      // a scheme starts with a letter
	}
	for _, tt := range tests {
		if got := tracker.Scheme(tt.location); got != tt.want {
			t.Errorf("Scheme(%q) = %q; want %q", tt.location, got, tt.want)
		}
	}
}

func TestRegisterBackend(t *testing.T) {
	open := func(string, tracker.BackendConfig) (tracker.Backend, error) { return nil, errors.New("unused") }
	if err := tracker.RegisterBackend("sqlite", open); !errors.Is(err, tracker.ErrBackendRegistered) {
		t.Errorf("second registration of sqlite: %v; want ErrBackendRegistered", err)
	}
	// The first registration still serves.
	if s, err := tracker.Open(filepath.Join(t.TempDir(), "x.db")); err != nil {
		t.Errorf("sqlite after a refused second registration: %v", err)
	} else {
		s.Close()
	}
	for _, bad := range []string{"", "9p", "a b"} {
		if err := tracker.RegisterBackend(bad, open); err == nil {
			t.Errorf("RegisterBackend(%q) accepted", bad)
		}
	}
	if err := tracker.RegisterBackend("sqlite", nil); err == nil {
		t.Error("RegisterBackend with a nil OpenFunc accepted")
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	_, err := tracker.Open("mysql://root:hunter2@db.example/runs")
	if !errors.Is(err, tracker.ErrNoBackend) {
		t.Fatalf("Open(mysql://…): %v; want ErrNoBackend", err)
	}
	msg := err.Error()
	for _, want := range []string{`"mysql"`, "registered: ", "sqlite"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error %q shows the password", msg)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://ann:s3cret@db:5432/runs?sslmode=disable", "postgres://ann:xxxxx@db:5432/runs?sslmode=disable"},
		{"postgres://ann@db/runs", "postgres://ann@db/runs"},
		{"postgres://db/runs?user=ann&password=s3cret&sslmode=disable", "postgres://db/runs?user=ann&password=xxxxx&sslmode=disable"},
		{"host=db user=ann password=s3cret dbname=runs", "host=db user=ann password=xxxxx dbname=runs"},
		{"postgres://ann:p%ZZ@db/runs", "postgres://xxxxx@db/runs"}, // unparseable: the whole user part goes
		{"runs/ganbook.db", "runs/ganbook.db"},
	}
	for _, tt := range tests {
		if got := tracker.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
