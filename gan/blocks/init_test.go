package blocks

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestInitSchemes(t *testing.T) {
	type layer struct {
		name  string
		input []int
		build func(s *model.Scope, x *graph.Node) *graph.Node
		fanIn int // PyTorch's fan-in for the default bound
	}
	layers := []layer{
		{"Dense", []int{2, 300}, func(s *model.Scope, x *graph.Node) *graph.Node { return Dense(s, x, 200) }, 300},
		{"Conv2D", []int{1, 8, 8, 16}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 64, 4, 2, 1) }, 4 * 4 * 16},
		// PyTorch's ConvTranspose2d fan-in is k·k·outC (see InitPyTorch).
		{"ConvTranspose2D", []int{1, 7, 7, 128}, func(s *model.Scope, x *graph.Node) *graph.Node { return ConvTranspose2D(s, x, 64, 4, 2, 1) }, 4 * 4 * 64},
	}
	for _, l := range layers {
		for _, init := range []Init{InitPyTorch, InitDCGAN} {
			t.Run(l.name+"_"+string(init), func(t *testing.T) {
				store := newTestStore()
				if init != InitPyTorch { // the default needs no setting
					SetInit(store.RootScope(), init)
				}
				exec := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node { return l.build(s.At("l"), x) })
				exec.MustCall(tensors.FromShape(shapeF32(l.input...)))
				w := toF64(store.GetVariable("/l/weights").MustValue())
				b := toF64(store.GetVariable("/l/biases").MustValue())
				wMean, wStd := meanStd(w)
				switch init {
				case InitPyTorch:
					bound := 1 / math.Sqrt(float64(l.fanIn))
					for _, d := range [][]float64{w, b} {
						for _, v := range d {
							if math.Abs(v) > bound {
								t.Fatalf("value %g outside ±%g", v, bound)
							}
						}
					}
					// U(−a, a) has standard deviation a/√3.
					if math.Abs(wStd-bound/math.Sqrt(3)) > 0.05*bound || math.Abs(wMean) > 0.05*bound {
						t.Errorf("weights mean %.3g std %.3g, want 0 and %.3g", wMean, wStd, bound/math.Sqrt(3))
					}
					if _, bStd := meanStd(b); bStd < 0.2*bound {
						t.Errorf("biases std %.3g: not drawn from U(±%.3g)", bStd, bound)
					}
				case InitDCGAN:
					if math.Abs(wStd-0.02) > 0.001 || math.Abs(wMean) > 0.001 {
						t.Errorf("weights mean %.3g std %.3g, want 0 and 0.02", wMean, wStd)
					}
					for _, v := range b {
						if v != 0 {
							t.Fatalf("bias %g, want 0", v)
						}
					}
				}
			})
		}
	}
}

func TestUnknownInitPanics(t *testing.T) {
	store := newTestStore()
	SetInit(store.RootScope(), Init("xavier"))
	exec := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node { return Dense(s, x, 2) })
	err := panicError(func(*graph.Graph) { exec.MustCall(tensors.FromShape(shapeF32(1, 3))) })
	if err == nil {
		t.Fatal("an unknown initialisation was accepted")
	}
	t.Log(err)
}
