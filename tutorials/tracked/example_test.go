package tracked_test

import (
	"fmt"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tutorials/tracked"
)

func ExampleDifferingParams() {
	runs := []tracker.RunInfo{
		{ID: "1a2b3c4d5e", Name: "baseline", Params: map[string]string{"lr_g": "0.0002", "batch": "64"}},
		{ID: "6f7a8b9c0d", Name: "fast G", Params: map[string]string{"lr_g": "0.001", "batch": "64"}},
	}
	header, rows := tracked.DifferingParams(tracker.Compare(runs))
	fmt.Println(header)
	fmt.Println(rows)
	// Output:
	// [parameter baseline fast G]
	// [[lr_g 0.0002 0.001]]
}
