package ringgan

import "testing"

func TestSnapshotWeights(t *testing.T) {
	s := Snapshot{DFakeSamples: []float32{0.01, 0.04, 0.05, 0.3, 0.6, 1}, GradNormNonSat: 3, GradNormSat: 2}
	tests := []struct {
		threshold float64
		want      float64
	}{{0.05, 2.0 / 6}, {0.009, 0}, {0.5, 4.0 / 6}, {2, 1}}
	for _, tt := range tests {
		if got := s.LowDShare(tt.threshold); got != tt.want {
			t.Errorf("LowDShare(%v) = %v; want %v", tt.threshold, got, tt.want)
		}
	}
	got := s.Histogram([]float64{0, 0.05, 0.5, 1})
	if want := []int{2, 2, 2}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("Histogram = %v; want %v", got, want)
	}
	if r := s.GradRatio(); r != 1.5 {
		t.Errorf("GradRatio = %v; want 1.5", r)
	}
	if (Snapshot{}).LowDShare(0.5) != 0 {
		t.Error("LowDShare of no samples is not 0")
	}
}

func TestDHistogram(t *testing.T) {
	s := Snapshot{DFakeSamples: []float32{0.01, 0.02, 0.9}}
	p, err := DHistogram("t", []string{"a"}, []Snapshot{s}, 10)
	if err != nil || p == nil {
		t.Fatalf("DHistogram: %v", err)
	}
	if _, err := DHistogram("t", []string{"a", "b"}, []Snapshot{s}, 10); err == nil {
		t.Error("DHistogram accepted 2 names for 1 snapshot")
	}
}
