package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"
)

// --eval-every stores the quality metrics during training, and `ganbook eval`
// measures the last checkpoint again: same samples, same generator, same FID.
func TestEvalEveryAndEvalAgree(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "eval.db")
	r := runGanbook(t, dir, nil, "train", "--db", db, "--steps", "20", "--eval-every", "10", "--eval-samples", "500",
		"--out", filepath.Join(dir, "run"))
	if r.exitCode != 0 {
		t.Fatalf("train: exit %d\n%s", r.exitCode, r.stderr)
	}
	fidLine := regexp.MustCompile(`step 20: FID (\d+\.\d+)\s+coverage (\d+)/10`)
	live := fidLine.FindStringSubmatch(r.stderr)
	if live == nil {
		t.Fatalf("train printed no evaluation at step 20:\n%s", r.stderr)
	}
	id := regexp.MustCompile(`run: ([0-9a-f]{32})`).FindStringSubmatch(r.stdout)
	if id == nil {
		t.Fatalf("train printed no run id:\n%s", r.stdout)
	}
	e := runGanbook(t, dir, nil, "eval", id[1][:8], "--db", db, "--samples", "500")
	if e.exitCode != 0 {
		t.Fatalf("eval: exit %d\n%s", e.exitCode, e.stderr)
	}
	again := fidLine.FindStringSubmatch(e.stdout)
	if again == nil || again[1] != live[1] || again[2] != live[2] {
		t.Errorf("eval of the last checkpoint gave %v, training measured %v at the same step", again, live)
	}
	show := runGanbook(t, dir, nil, "show", id[1][:8], "--db", db, "--json")
	var info struct {
		Tags    map[string]string `json:"tags"`
		Metrics map[string]struct {
			Count int `json:"count"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &info); err != nil {
		t.Fatalf("show --json: %v\n%s", err, show.stdout)
	}
	for _, key := range []string{"fid", "coverage", "kl_uniform", "mean_confidence"} {
		if info.Metrics[key].Count != 3 { // steps 10 and 20 while training, 20 again by eval
			t.Errorf("metric %s has %d points, want 3", key, info.Metrics[key].Count)
		}
	}
	if !regexp.MustCompile(`^mnist-cnn-v1-[0-9a-f]{12}$`).MatchString(info.Tags["eval_extractor"]) || info.Tags["eval_samples"] != "500" {
		t.Errorf("tags %v: want eval_extractor mnist-cnn-v1-… and eval_samples 500", info.Tags)
	}
}
