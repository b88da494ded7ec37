package main

import (
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/spf13/pflag"
)

func TestParseSeeds(t *testing.T) {
	tests := []struct {
		in   string
		want []int64
	}{
		{"1-5", []int64{1, 2, 3, 4, 5}},
		{"1,3,7", []int64{1, 3, 7}},
		{"1-3,9", []int64{1, 2, 3, 9}},
		{"2,2", []int64{2}},
	}
	for _, tc := range tests {
		got, err := parseSeeds(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseSeeds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "a", "5-1", "1-", "1,,2"} {
		if _, err := parseSeeds(bad); err == nil {
			t.Errorf("parseSeeds(%q) accepted", bad)
		}
	}
}

func sweepFlags() *pflag.FlagSet {
	fl := pflag.NewFlagSet("sweep", pflag.ContinueOnError)
	fl.String("lr-d", "", "")
	fl.String("loss", "", "")
	fl.String("batch", "", "")
	return fl
}

func TestGridSettings(t *testing.T) {
	axes, err := parseSets(sweepFlags(), []string{"lr_d=1e-4,2e-4", "loss=nonsaturating,minimax,x"})
	if err != nil {
		t.Fatal(err)
	}
	settings, err := gridSettings(axes)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range settings {
		got = append(got, s["lr_d"]+" "+s["loss"])
	}
	want := []string{"1e-4 nonsaturating", "1e-4 minimax", "1e-4 x", "2e-4 nonsaturating", "2e-4 minimax", "2e-4 x"}
	if !slices.Equal(got, want) {
		t.Errorf("grid %q, want %q", got, want)
	}
}

// Random draws stay in their ranges, a log range spreads over its decades
// (about half the draws of log:1e-5..1e-3 fall below 1e-4, where a uniform
// draw would put 9%), and the same seed draws the same settings.
func TestDrawSettings(t *testing.T) {
	axes, err := parseSets(sweepFlags(), []string{"lr_d=log:1e-5..1e-3", "batch=8..64", "loss=a,b"})
	if err != nil {
		t.Fatal(err)
	}
	const k = 400
	settings, err := drawSettings(axes, k, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(settings) != k {
		t.Fatalf("%d settings, want %d", len(settings), k)
	}
	below, losses := 0, map[string]int{}
	for _, s := range settings {
		lr, err1 := strconv.ParseFloat(s["lr_d"], 64)
		b, err2 := strconv.ParseFloat(s["batch"], 64)
		if err1 != nil || err2 != nil || lr < 1e-5*(1-1e-3) || lr > 1e-3*(1+1e-3) || b < 8 || b > 64 {
			t.Fatalf("setting %v out of range", s)
		}
		if lr < 1e-4 {
			below++
		}
		losses[s["loss"]]++
	}
	if frac := float64(below) / k; math.Abs(frac-0.5) > 0.1 {
		t.Errorf("%.2f of log-uniform draws below 1e-4, want about 0.5", frac)
	}
	if losses["a"] < k/4 || losses["b"] < k/4 {
		t.Errorf("list choices %v, want both about %d", losses, k/2)
	}
	again, _ := drawSettings(axes, k, 7)
	for i := range settings {
		if settings[i]["lr_d"] != again[i]["lr_d"] {
			t.Fatal("the same seed drew different settings")
		}
	}
}
