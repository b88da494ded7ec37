package ringgan

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tutorials/gamejac"
)

func toFloat64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// A short run keeps its parameters; PlainMLP with them must reproduce the trained generator's
// samples and discriminator's outputs, and the game's products must agree with each other and
// with finite differences.
func TestGameFieldOfATrainedRun(t *testing.T) {
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Steps, cfg.SnapshotEvery, cfg.Grid, cfg.Samples, cfg.Hidden, cfg.KeepParams = 200, 0, 0, 50, 128, true
	snaps, err := Train(backend, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := snaps[len(snaps)-1]
	dims := ParamDims(cfg)
	total := 0
	for _, d := range dims {
		total += size(d)
	}
	if len(last.Params) != total {
		t.Fatalf("Params holds %d values, ParamDims %d", len(last.Params), total)
	}

	// The plain networks against the trained ones, on the snapshot's samples.
	noiseRNG := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x2015e)) // Train's fixed noise
	noise := make([]float64, cfg.Samples*cfg.NoiseDim)
	for i := range noise {
		noise[i] = float64(float32(noiseRNG.NormFloat64()))
	}
	exec, err := graph.NewExec(backend, func(in []*graph.Node) []*graph.Node {
		z := graph.Reshape(graph.Const(in[0].Graph(), noise), cfg.Samples, cfg.NoiseDim)
		fake := PlainMLP(in[:6], z)
		return []*graph.Node{fake, graph.Logistic(PlainMLP(in[6:], fake))}
	})
	if err != nil {
		t.Fatal(err)
	}
	var args []any
	off, w := 0, toFloat64(last.Params)
	for _, d := range dims {
		args = append(args, tensors.FromFlatDataAndDimensions(w[off:off+size(d)], d...))
		off += size(d)
	}
	out, err := exec.Call(args...)
	if err != nil {
		t.Fatal(err)
	}
	fake, _ := tensors.CopyFlatData[float64](out[0])
	dFake, _ := tensors.CopyFlatData[float64](out[1])
	for i := range fake {
		if math.Abs(fake[i]-float64(last.Fake[i])) > 1e-4 {
			t.Fatalf("sample value %d: plain generator %v, trained %v", i, fake[i], last.Fake[i])
		}
	}
	for i := range dFake {
		if math.Abs(dFake[i]-float64(last.DFakeSamples[i])) > 1e-4 {
			t.Fatalf("D of sample %d: plain discriminator %v, trained %v", i, dFake[i], last.DFakeSamples[i])
		}
	}

	field, err := GameField(cfg, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	op, err := gamejac.NewOperator(backend, field, dims, w)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	randVec := func() []float64 {
		v := make([]float64, op.Dim())
		for i := range v {
			v[i] = r.NormFloat64()
		}
		return v
	}
	for range 3 {
		u, v := randVec(), randVec()
		jv, err := op.JV(v)
		if err != nil {
			t.Fatal(err)
		}
		// A small step: with 1e-5 some of the LeakyReLUs' 32 768 pre-activations per layer cross
		// their kink and the differences are off by several times |Jv|.
		fd, err := op.JVFiniteDiff(v, 1e-8)
		if err != nil {
			t.Fatal(err)
		}
		jtu, err := op.JTV(u)
		if err != nil {
			t.Fatal(err)
		}
		diff, norm := 0.0, 0.0
		for i := range jv {
			diff, norm = diff+(jv[i]-fd[i])*(jv[i]-fd[i]), norm+jv[i]*jv[i]
		}
		if rel := math.Sqrt(diff / norm); rel > 1e-6 {
			t.Errorf("Jv by autodiff and by finite differences differ by %.1e (relative)", rel)
		}
		a, b := gamejac.Dot(u, jv), gamejac.Dot(jtu, v)
		if math.Abs(a-b) > 1e-9*math.Sqrt(norm*gamejac.Dot(u, u)) {
			t.Errorf("⟨u, Jv⟩ = %v but ⟨Jᵀu, v⟩ = %v", a, b)
		}
		t.Logf("|Jv| %.4g, FD rel diff %.1e, <u,Jv> %.6g vs <JTu,v> %.6g", math.Sqrt(norm), math.Sqrt(diff/norm), a, b)
	}
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
