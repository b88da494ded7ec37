package gan

import (
	"encoding/base64"
	"math/rand/v2"
)

// latentNoise is the training's stream of latent vectors, z ~ N(0, 1), drawn
// on the host (ziggurat) from a PCG whose state goes into every checkpoint, so
// that a resumed run draws what an uninterrupted one would.
type latentNoise struct {
	pcg *rand.PCG
	rng *rand.Rand
}

func newLatentNoise(seed int64) *latentNoise {
	pcg := rand.NewPCG(uint64(seed), 0x6c6174656e74) // "latent"
	return &latentNoise{pcg: pcg, rng: rand.New(pcg)}
}

func (n *latentNoise) fill(dst []float32) {
	for i := range dst {
		dst[i] = float32(n.rng.NormFloat64())
	}
}

// state is the generator's position as text (checkpoint parameters are JSON).
func (n *latentNoise) state() (string, error) {
	b, err := n.pcg.MarshalBinary()
	return base64.StdEncoding.EncodeToString(b), err
}

func (n *latentNoise) restore(state string) error {
	b, err := base64.StdEncoding.DecodeString(state)
	if err != nil {
		return err
	}
	return n.pcg.UnmarshalBinary(b)
}
