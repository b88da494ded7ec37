package ringgan

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/graph"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tutorials/gamejac"
)

// GameField returns the ring GAN's simultaneous gradient as a gamejac.Field over the
// parameters of ParamDims(cfg), in float64, on one fixed batch: batch real samples and batch
// noise vectors drawn with seed. The generator's part is ∇_G of cfg.Loss's generator loss, the
// discriminator's ∇_D of gan.DiscriminatorLoss (real label 1), with the fakes depending on G
// (no stop-gradient), so that ∂ξ_D/∂G is the coupling of the game.
//
// The networks are rebuilt from plain graph ops (matmul, Where for the LeakyReLU) instead of
// gan/blocks, whose hand-written backward passes GoMLX cannot differentiate again; a test
// checks that both compute the same generator and discriminator.
func GameField(cfg Config, batch int, seed uint64) (gamejac.Field, error) {
	generatorLoss, err := gan.GeneratorLossFunc(cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("ringgan: %w", err)
	}
	rng := rand.New(rand.NewPCG(seed, 0x9a3e))
	real := cfg.Ring.Sample(rng, batch)
	noise := make([]float64, batch*cfg.NoiseDim)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	realF := make([]float64, len(real))
	for i, v := range real {
		realF[i] = float64(v)
	}
	n := 2 * len(layers)
	return func(p []*graph.Node) []*graph.Node {
		g := p[0].Graph()
		z := graph.Const(g, noise)
		z = graph.Reshape(z, batch, cfg.NoiseDim)
		x := graph.Reshape(graph.Const(g, realF), batch, 2)
		gen, disc := p[:n], p[n:]
		fakeLogits := PlainMLP(disc, PlainMLP(gen, z))
		lossG := generatorLoss(fakeLogits)
		lossD := gan.DiscriminatorLoss(PlainMLP(disc, x), fakeLogits, 1)
		return append(graph.Gradient(lossG, gen...), graph.Gradient(lossD, disc...)...)
	}, nil
}

// PlainMLP applies the network of mlp with the given parameters (weights and biases of each
// layer, as in ParamDims) to x [n, in], from plain graph ops.
func PlainMLP(params []*graph.Node, x *graph.Node) *graph.Node {
	for i := 0; i < len(params); i += 2 {
		b := params[i+1]
		x = graph.Add(graph.MatMul(x, params[i]), graph.Reshape(b, 1, b.Shape().Size()))
		if i+2 < len(params) {
			x = graph.Where(graph.GreaterThan(x, graph.ZerosLike(x)), x, graph.MulScalar(x, leakySlope))
		}
	}
	return x
}
