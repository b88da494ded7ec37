package tracker

import (
	"reflect"
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/ganbook/ganbook", Version: "v0.1.0"},
		Deps: []*debug.Module{
			{Path: "github.com/gomlx/gomlx", Version: "v0.28.2"},
			{Path: "example.com/fork", Version: "v1.0.0", Replace: &debug.Module{Path: "../fork", Version: ""}},
		},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "deadbeef"}, {Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "linux"}},
	}
	var rec ReproRecord
	fromBuildInfo(&rec, bi)
	want := ReproRecord{
		MainModule: "github.com/ganbook/ganbook", MainVersion: "v0.1.0",
		Modules:   map[string]string{"github.com/gomlx/gomlx": "v0.28.2", "example.com/fork": "v1.0.0 => ../fork "},
		GitCommit: "deadbeef", GitDirty: true,
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("fromBuildInfo:\n got %+v\nwant %+v", rec, want)
	}
}
