package data

import (
	"encoding/json"
	"slices"
	"testing"
)

// tinyDataset has n one-pixel images whose pixel is the image's index and
// whose label is index mod 10, so a batch shows which examples it holds.
func tinyDataset(n int) *Dataset {
	ds := &Dataset{Name: "tiny", N: n, Height: 1, Width: 1, Images: make([]float32, n), Labels: make([]uint8, n)}
	for i := range n {
		ds.Images[i] = float32(i)
		ds.Labels[i] = uint8(i % 10)
	}
	return ds
}

func nextIndices(t *testing.T, s *Sampler) []int {
	t.Helper()
	images := make([]float32, s.BatchSize())
	labels := make([]uint8, s.BatchSize())
	s.Next(images, labels)
	idx := make([]int, len(images))
	for k, v := range images {
		idx[k] = int(v)
		if labels[k] != uint8(idx[k]%10) {
			t.Fatalf("label %d does not belong to image %d", labels[k], idx[k])
		}
	}
	return idx
}

// The permutations were computed independently by a Python transcription
// of PCG-DXSM (checked against Go's own PCG test vector) and of the
// Fisher–Yates/Lemire procedure the Sampler documents.
func TestSamplerGoldenOrder(t *testing.T) {
	tests := []struct {
		n, batch int
		seed     uint64
		epochs   [][]int // full permutation per epoch
	}{
		{10, 10, 42, [][]int{{6, 2, 5, 3, 4, 7, 0, 1, 9, 8}, {2, 3, 9, 6, 0, 8, 7, 4, 5, 1}, {2, 9, 5, 4, 3, 7, 6, 0, 8, 1}}},
		{10, 3, 42, [][]int{{6, 2, 5, 3, 4, 7, 0, 1, 9}, {2, 3, 9, 6, 0, 8, 7, 4, 5}, {2, 9, 5, 4, 3, 7, 6, 0, 8}}},
	}
	for _, tc := range tests {
		s, err := NewSampler(tinyDataset(tc.n), tc.batch, tc.seed)
		if err != nil {
			t.Fatal(err)
		}
		for e, perm := range tc.epochs {
			if s.Epoch() != e {
				t.Fatalf("n=%d batch=%d: Epoch() = %d, want %d", tc.n, tc.batch, s.Epoch(), e)
			}
			var got []int
			for range s.BatchesPerEpoch() {
				got = append(got, nextIndices(t, s)...)
			}
			if !slices.Equal(got, perm) {
				t.Errorf("n=%d batch=%d epoch %d: order %v, want %v", tc.n, tc.batch, e, got, perm)
			}
		}
	}
	if got := epochPermutation(7, ^uint64(0), 5); !slices.Equal(got, []int{3, 6, 1, 2, 4, 5, 0}) {
		t.Errorf("epochPermutation(7, 2^64-1, 5) = %v", got)
	}
}

func TestSamplerEpochsArePermutations(t *testing.T) {
	for _, tc := range []struct{ n, batch int }{{100, 7}, {64, 64}, {65, 8}, {5, 1}} {
		s, err := NewSampler(tinyDataset(tc.n), tc.batch, 7)
		if err != nil {
			t.Fatal(err)
		}
		if want := tc.n / tc.batch; s.BatchesPerEpoch() != want {
			t.Errorf("BatchesPerEpoch() = %d, want %d", s.BatchesPerEpoch(), want)
		}
		var prev []int
		for e := range 4 {
			seen := map[int]bool{}
			var order []int
			for range s.BatchesPerEpoch() {
				for _, i := range nextIndices(t, s) {
					if seen[i] {
						t.Fatalf("n=%d batch=%d epoch %d: example %d twice", tc.n, tc.batch, e, i)
					}
					seen[i] = true
					order = append(order, i)
				}
			}
			if len(seen) != s.BatchesPerEpoch()*tc.batch {
				t.Errorf("epoch %d saw %d examples", e, len(seen))
			}
			if tc.n > 5 && slices.Equal(order, prev) {
				t.Errorf("n=%d: epoch %d repeats the previous order", tc.n, e)
			}
			prev = order
		}
		if s.Epoch() != 4 {
			t.Errorf("after 4 epochs Epoch() = %d", s.Epoch())
		}
	}
}

func TestSamplerDeterminism(t *testing.T) {
	run := func(seed uint64) [][]int {
		s, err := NewSampler(tinyDataset(50), 8, seed)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]int
		for range 20 {
			out = append(out, nextIndices(t, s))
		}
		return out
	}
	a, b, c := run(1), run(1), run(2)
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Error("same seed gave different batches")
	}
	if slices.EqualFunc(a, c, slices.Equal) {
		t.Error("seeds 1 and 2 gave the same batches")
	}
}

// A sampler stopped after k batches, its state stored (as JSON, as a
// checkpoint would) and restored into a fresh sampler, serves exactly the
// batches an uninterrupted one serves.
func TestSamplerResume(t *testing.T) {
	const n, batch, seed, total = 50, 8, 12345, 30 // 6 batches per epoch
	ds := tinyDataset(n)
	ref, _ := NewSampler(ds, batch, seed)
	var want [][]int
	for range total {
		want = append(want, nextIndices(t, ref))
	}
	for _, k := range []int{0, 1, 5, 6, 7, 12, 29} {
		s, _ := NewSampler(ds, batch, seed)
		for range k {
			nextIndices(t, s)
		}
		blob, err := json.Marshal(s.State())
		if err != nil {
			t.Fatal(err)
		}
		var st SamplerState
		if err := json.Unmarshal(blob, &st); err != nil {
			t.Fatal(err)
		}
		if st.Epoch != k/6 || st.Index != (k%6)*batch {
			t.Errorf("k=%d: state %+v, want epoch %d index %d", k, st, k/6, (k%6)*batch)
		}
		resumed, _ := NewSampler(ds, batch, 999) // seed comes from the state
		if err := resumed.Restore(st); err != nil {
			t.Fatal(err)
		}
		for i := k; i < total; i++ {
			if got := nextIndices(t, resumed); !slices.Equal(got, want[i]) {
				t.Fatalf("resumed at %d: batch %d = %v, want %v", k, i, got, want[i])
			}
		}
	}
}

func TestSamplerRefusals(t *testing.T) {
	ds := tinyDataset(10)
	for _, b := range []int{0, -1, 11} {
		if _, err := NewSampler(ds, b, 1); err == nil {
			t.Errorf("NewSampler with batch %d accepted", b)
		}
	}
	if _, err := NewSampler(&Dataset{}, 1, 1); err == nil {
		t.Error("NewSampler on an empty dataset accepted")
	}
	s, _ := NewSampler(ds, 3, 1)
	good := s.State()
	for name, st := range map[string]SamplerState{
		"batch size":       {Seed: 1, BatchSize: 4, N: 10},
		"dataset size":     {Seed: 1, BatchSize: 3, N: 11},
		"negative epoch":   {Seed: 1, Epoch: -1, BatchSize: 3, N: 10},
		"index past end":   {Seed: 1, Index: 9, BatchSize: 3, N: 10},
		"misaligned index": {Seed: 1, Index: 2, BatchSize: 3, N: 10},
	} {
		if err := s.Restore(st); err == nil {
			t.Errorf("Restore with wrong %s accepted", name)
		}
	}
	if s.State() != good {
		t.Errorf("a refused Restore changed the state to %+v", s.State())
	}
	for name, call := range map[string]func(){
		"short images": func() { s.Next(make([]float32, 2), nil) },
		"short labels": func() { s.Next(make([]float32, 3), make([]uint8, 2)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Next with %s did not panic", name)
				}
			}()
			call()
		}()
	}
}

// Batches carry the scaled pixels of the right images.
func TestSamplerOnMNIST(t *testing.T) {
	ds := loadShared(t, "mnist", Test, SymmetricRange)
	s, err := NewSampler(ds, 64, 3)
	if err != nil {
		t.Fatal(err)
	}
	images := make([]float32, 64*28*28)
	labels := make([]uint8, 64)
	s.Next(images, labels)
	perm := epochPermutation(ds.N, 3, 0)
	for k := range 64 {
		if !slices.Equal(images[k*784:(k+1)*784], ds.Image(perm[k])) || labels[k] != ds.Labels[perm[k]] {
			t.Fatalf("batch item %d is not example %d", k, perm[k])
		}
	}
	if s.BatchesPerEpoch() != 156 {
		t.Errorf("BatchesPerEpoch() = %d, want 156", s.BatchesPerEpoch())
	}
}
