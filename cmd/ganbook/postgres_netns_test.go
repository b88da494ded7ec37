package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/pgtest"
)

// netns is a network namespace made for a test.
type netns struct{ name string }

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestPostgresAcrossNamespaces puts PostgreSQL in one network namespace and
// two `ganbook train` processes in each of two others, joined to it by veth
// pairs; all four log at once and end FINISHED with every point. A fifth
// trainer, SIGKILLed, lists as KILLED after its heartbeat timeout, and
// `ganbook runs` from the root namespace lists all five.
func TestPostgresAcrossNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("trains five runs; skipped with -short")
	}
	if os.Geteuid() != 0 {
		pgtest.Unavailable(t, fmt.Errorf("network namespaces need root"))
	}
	if _, err := exec.LookPath("ip"); err != nil {
		pgtest.Unavailable(t, fmt.Errorf("iproute2's ip: %w", err))
	}
	// Names, and addresses in 198.18.0.0/15 (set aside for network tests,
	// RFC 2544), that other tests running at once do not use.
	tag := strconv.Itoa(os.Getpid() % 100000)
	block := os.Getpid() % 80 * 3
	net := func(link, host int) string { return fmt.Sprintf("198.18.%d.%d", block+link, host) }
	dbNS, nsA, nsB := "gbdb"+tag, "gba"+tag, "gbb"+tag
	for _, ns := range []string{dbNS, nsA, nsB} {
		ipCmd(t, "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		ipCmd(t, "-n", ns, "link", "set", "lo", "up")
	}
	// Links: 1 db–A, 2 db–B, 3 db–root.
	for link, peer := range map[int]string{1: nsA, 2: nsB, 3: ""} {
		dbEnd, peerEnd := fmt.Sprintf("gbd%d_%s", link, tag), fmt.Sprintf("gbp%d_%s", link, tag)
		ipCmd(t, "link", "add", dbEnd, "type", "veth", "peer", "name", peerEnd)
		t.Cleanup(func() { exec.Command("ip", "link", "del", peerEnd).Run() })
		ipCmd(t, "link", "set", dbEnd, "netns", dbNS)
		ipCmd(t, "-n", dbNS, "addr", "add", net(link, 1)+"/24", "dev", dbEnd)
		ipCmd(t, "-n", dbNS, "link", "set", dbEnd, "up")
		if peer != "" {
			ipCmd(t, "link", "set", peerEnd, "netns", peer)
			ipCmd(t, "-n", peer, "addr", "add", net(link, 2)+"/24", "dev", peerEnd)
			ipCmd(t, "-n", peer, "link", "set", peerEnd, "up")
		} else {
			ipCmd(t, "addr", "add", net(link, 2)+"/24", "dev", peerEnd)
			ipCmd(t, "link", "set", peerEnd, "up")
		}
	}
	srv, err := pgtest.StartWith(pgtest.Options{
		Netns:    dbNS,
		Listen:   strings.Join([]string{net(1, 1), net(2, 1), net(3, 1)}, ","),
		Host:     net(3, 1),
		AllowNet: "198.18.0.0/15",
	})
	if err != nil {
		t.Fatalf("PostgreSQL in namespace %s: %v", dbNS, err)
	}
	defer srv.Stop()
	rootURL := srv.NewDatabase(t)
	dbName := rootURL[strings.LastIndex(rootURL, "/")+1 : strings.Index(rootURL, "?")]
	urlFrom := func(link int) string {
		return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", srv.User, srv.Password, net(link, 1), srv.Port, dbName)
	}
	dir := t.TempDir()
	train := func(ns, url, name string, steps int, extraEnv ...string) *exec.Cmd {
		cmd := exec.Command("ip", "netns", "exec", ns, ganbookBin, "train", "--db", url, "--steps", strconv.Itoa(steps),
			"--name", name, "--sample-every", "0", "--checkpoint-every", "0", "--progress-every", "1", "--out", filepath.Join(dir, name))
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "GOMLX_BACKEND=go", "GOMLX_NO_AUTO_INSTALL=1"), extraEnv...)
		return cmd
	}
	// The doomed trainer first, so that it is stepping when the others are.
	doomed := train(nsA, urlFrom(1), "doomed", 100000, "GANBOOK_HEARTBEAT_TIMEOUT=2s")
	stderr, err := doomed.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := doomed.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { doomed.Process.Kill(); doomed.Wait() }()
	stepping := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			if regexp.MustCompile(`^step \d+/`).MatchString(sc.Text()) {
				once.Do(func() { close(stepping) })
			}
		}
	}()
	select {
	case <-stepping:
	case <-time.After(3 * time.Minute):
		t.Fatal("the doomed trainer did not start stepping in 3 minutes")
	}
	const steps = 20
	type job struct {
		ns, url, name string
	}
	jobs := []job{{nsA, urlFrom(1), "a1"}, {nsA, urlFrom(1), "a2"}, {nsB, urlFrom(2), "b1"}, {nsB, urlFrom(2), "b2"}}
	var wg sync.WaitGroup
	outs := make([][]byte, len(jobs))
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = train(j.ns, j.url, j.name, steps).CombinedOutput()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("trainer %s: %v\n%s", jobs[i].name, err, outs[i])
		}
	}
	doomed.Process.Kill() // SIGKILL
	doomed.Wait()
	time.Sleep(3 * time.Second) // past its 2 s heartbeat timeout

	r := runGanbook(t, dir, nil, "runs", "--json", "--db", rootURL)
	if r.exitCode != 0 {
		t.Fatalf("runs from the root namespace: %s", r.stderr)
	}
	var runs []listedRun
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		t.Fatal(err)
	}
	got := map[string]listedRun{}
	for _, run := range runs {
		got[run.Name] = run
	}
	if len(runs) != 5 {
		t.Errorf("%d runs listed; want 5: %+v", len(runs), runs)
	}
	for _, j := range jobs {
		run := got[j.name]
		if run.Status != "FINISHED" || run.Metrics["d_loss"].Count != steps || run.Metrics["g_loss"].Count != steps {
			t.Errorf("run %s: %s with %d d_loss and %d g_loss points; want FINISHED with %d each",
				j.name, run.Status, run.Metrics["d_loss"].Count, run.Metrics["g_loss"].Count, steps)
		}
	}
	if st := got["doomed"].Status; st != "KILLED" {
		t.Errorf("the SIGKILLed trainer's run is %s; want KILLED", st)
	}
}
