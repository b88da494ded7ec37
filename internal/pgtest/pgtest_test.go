package pgtest

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// The shared server accepts the superuser on a new database over loopback
// and refuses a wrong password.
func TestServer(t *testing.T) {
	s := Shared(t)
	ctx := context.Background()
	url := s.NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var one int
	var addr string
	if err := conn.QueryRow(ctx, `SELECT 1, host(inet_server_addr())`).Scan(&one, &addr); err != nil || one != 1 || addr != "127.0.0.1" {
		t.Errorf("SELECT 1: %d on %s, %v", one, addr, err)
	}
	bad := "postgres://" + s.User + ":wrong@127.0.0.1:" + itoa(s.Port) + "/postgres?sslmode=disable"
	if c, err := pgx.Connect(ctx, bad); err == nil {
		c.Close(ctx)
		t.Error("a wrong password was accepted")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
