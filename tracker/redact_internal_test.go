package tracker

import (
	"reflect"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	in := []string{"ganbook", "train", "--db", "postgres://ann:s3cret@db/runs", "--db=postgresql://ann:s3cret@db/runs", "--out", "runs/a@b", "--name", "x:y"}
	want := []string{"ganbook", "train", "--db", "postgres://ann:xxxxx@db/runs", "--db=postgresql://xxxxx@db/runs", "--out", "runs/a@b", "--name", "x:y"}
	if got := redactArgs(in); !reflect.DeepEqual(got, want) {
		t.Errorf("redactArgs:\n got %q\nwant %q", got, want)
	}
}
