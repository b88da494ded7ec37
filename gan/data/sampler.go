package data

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
)

// SamplerState is where a Sampler stands: enough, with the same dataset, to
// continue exactly where it was. It is plain data, to be stored with a
// checkpoint (JSON tags included).
type SamplerState struct {
	Seed      uint64 `json:"seed"`
	Epoch     int    `json:"epoch"`      // the epoch the next batch comes from, from 0
	Index     int    `json:"index"`      // position of the next batch in that epoch's permutation
	BatchSize int    `json:"batch_size"` // checked on Restore
	N         int    `json:"n"`          // dataset size, checked on Restore
}

// Sampler serves batches of a Dataset in an order fixed by its seed. Each
// epoch visits the examples in a new permutation; the incomplete last batch
// of an epoch is dropped, so every batch is full and comes from one epoch.
//
// The permutation of epoch e is a Fisher–Yates shuffle driven by PCG-DXSM
// (math/rand/v2.PCG, whose output is specified) seeded with (seed, e), with
// bounded integers drawn by Lemire's multiply-and-reject method written out
// here, so the order does not depend on how math/rand/v2 implements Shuffle.
type Sampler struct {
	ds    *Dataset
	batch int
	seed  uint64
	epoch int
	index int
	perm  []int // permutation of the current epoch
}

// NewSampler returns a Sampler at the start of epoch 0. batchSize must be
// between 1 and ds.N.
func NewSampler(ds *Dataset, batchSize int, seed uint64) (*Sampler, error) {
	if ds == nil || ds.N <= 0 {
		return nil, fmt.Errorf("data: sampler needs a non-empty dataset")
	}
	if batchSize <= 0 || batchSize > ds.N {
		return nil, fmt.Errorf("data: batch size %d must be between 1 and the dataset size %d", batchSize, ds.N)
	}
	s := &Sampler{ds: ds, batch: batchSize, seed: seed}
	s.perm = epochPermutation(ds.N, seed, 0)
	return s, nil
}

// BatchSize is the number of examples in each batch.
func (s *Sampler) BatchSize() int { return s.batch }

// BatchesPerEpoch is ⌊N / batch size⌋.
func (s *Sampler) BatchesPerEpoch() int { return s.ds.N / s.batch }

// Epoch is the epoch the next batch comes from, counting from 0.
func (s *Sampler) Epoch() int { return s.epoch }

// State returns where the sampler stands.
func (s *Sampler) State() SamplerState {
	return SamplerState{Seed: s.seed, Epoch: s.epoch, Index: s.index, BatchSize: s.batch, N: s.ds.N}
}

// Restore puts the sampler where st says; the next batch is then the one an
// uninterrupted sampler would have served after reaching st. It refuses a
// state made with another batch size or dataset size, or out of range.
func (s *Sampler) Restore(st SamplerState) error {
	switch {
	case st.BatchSize != s.batch:
		return fmt.Errorf("data: sampler state has batch size %d, this sampler %d", st.BatchSize, s.batch)
	case st.N != s.ds.N:
		return fmt.Errorf("data: sampler state is for %d examples, this dataset has %d", st.N, s.ds.N)
	case st.Epoch < 0 || st.Index < 0 || st.Index > s.ds.N-s.batch || st.Index%s.batch != 0:
		return fmt.Errorf("data: sampler state epoch %d index %d is out of range", st.Epoch, st.Index)
	}
	s.seed, s.epoch, s.index = st.Seed, st.Epoch, st.Index
	s.perm = epochPermutation(s.ds.N, s.seed, s.epoch)
	return nil
}

// Next copies the next batch's pixels into images (BatchSize·Height·Width
// values) and, when labels is not nil, its labels into labels (BatchSize
// values). It panics on wrong lengths, as copying into a wrong-size buffer is
// a programming error.
func (s *Sampler) Next(images []float32, labels []uint8) {
	pixels := s.ds.Height * s.ds.Width
	if len(images) != s.batch*pixels {
		panic(fmt.Sprintf("data: Sampler.Next: images has length %d, want %d (batch %d × %d pixels)",
			len(images), s.batch*pixels, s.batch, pixels))
	}
	if labels != nil && len(labels) != s.batch {
		panic(fmt.Sprintf("data: Sampler.Next: labels has length %d, want %d", len(labels), s.batch))
	}
	for k, idx := range s.perm[s.index : s.index+s.batch] {
		copy(images[k*pixels:(k+1)*pixels], s.ds.Images[idx*pixels:(idx+1)*pixels])
		if labels != nil {
			labels[k] = s.ds.Labels[idx]
		}
	}
	s.index += s.batch
	if s.index+s.batch > s.ds.N {
		s.epoch++
		s.index = 0
		s.perm = epochPermutation(s.ds.N, s.seed, s.epoch)
	}
}

// epochPermutation is the order of epoch e: Fisher–Yates from the top, with
// j uniform in [0, i].
func epochPermutation(n int, seed uint64, epoch int) []int {
	rng := rand.NewPCG(seed, uint64(epoch))
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(uniform(rng, uint64(i)+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

// uniform returns a uniform integer in [0, n) by Lemire's method
// (https://arxiv.org/abs/1805.10941): the high word of x·n, rejecting the
// few x whose low word falls below 2⁶⁴ mod n.
func uniform(rng *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(rng.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(rng.Uint64(), n)
		}
	}
	return hi
}
