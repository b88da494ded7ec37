package gan

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// A generator loaded from a checkpoint draws what the trainer that saved it
// drew at that step; an earlier checkpoint draws something else.
func TestLoadGeneratorMatchesTheTrainer(t *testing.T) {
	for _, tc := range []struct {
		name, model string
		ema         float64
		preciseBN   int
	}{
		{"mlp", ModelMLP, 0, 0}, {"dcgan", ModelDCGAN, 0, 0}, {"mlp-ema", ModelMLP, 0.9, 0},
		{"cdcgan-ema", ModelCDCGAN, 0.9, 0}, {"dcgan-precise-bn", ModelDCGAN, 0, 500}, {"cdcgan-ema-precise-bn", ModelCDCGAN, 0.9, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Model, cfg.EMA, cfg.PreciseBN = tc.model, tc.ema, tc.preciseBN
			backend := testBackend(t)
			dir := t.TempDir()
			z := LatentVectors(5, 3, cfg.LatentDim)
			var atStep3 []float32
			var source BatchSource = newSyntheticSource(20, cfg.Batch, 3)
			if tc.model == ModelCDCGAN {
				source = labeledSource{newSyntheticSource(20, cfg.Batch, 3)}
			}
			tr, err := NewTrainer(backend, cfg, source, 6, Options{OutDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			_, err = tr.Run(context.Background(), RunOptions{Hooks: Hooks{OnStep: func(m StepMetrics) {
				if m.Step == 3 {
					if atStep3, err = tr.Generate(z); err != nil {
						t.Error(err)
					}
				}
			}}})
			if err != nil {
				t.Fatal(err)
			}
			atStep6, err := tr.Generate(z)
			if err != nil {
				t.Fatal(err)
			}
			list, err := ListCheckpoints(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].Step != 3 || list[1].Step != 6 {
				t.Fatalf("checkpoints %+v, want steps 3 and 6", list)
			}
			for _, tc := range []struct {
				step, wantStep int
				want           []float32
			}{{0, 6, atStep6}, {6, 6, atStep6}, {3, 3, atStep3}} {
				c, err := FindCheckpoint(dir, tc.step)
				if err != nil {
					t.Fatal(err)
				}
				g, err := LoadGenerator(backend, cfg, c)
				if err != nil {
					t.Fatal(err)
				}
				got, err := g.Generate(z)
				if err != nil {
					t.Fatal(err)
				}
				if g.Step() != tc.wantStep || len(got) != len(tc.want) {
					t.Fatalf("step %d: loaded step %d with %d pixels, want step %d with %d", tc.step, g.Step(), len(got), tc.wantStep, len(tc.want))
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("step %d: pixel %d = %g, the trainer drew %g", tc.step, i, got[i], tc.want[i])
					}
				}
			}
			if slicesEqual(atStep3, atStep6) {
				t.Fatal("steps 3 and 6 draw the same images: the comparison proves nothing")
			}
			_, err = FindCheckpoint(dir, 4)
			if !errors.Is(err, ErrNoCheckpoint) || !strings.Contains(err.Error(), "3, 6") {
				t.Errorf("FindCheckpoint(step 4) = %v, want ErrNoCheckpoint listing steps 3, 6", err)
			}
		})
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// Hand cases: the quarter circle from e1 to e2, where slerp's midpoint is
// (1, 1)/√2 and lerp's is (½, ½); and endpoints of random latents.
func TestInterpolation(t *testing.T) {
	e1, e2 := []float32{1, 0}, []float32{0, 1}
	tests := []struct {
		name string
		f    func(a, b []float32, t float64) []float32
		t    float64
		want []float64
	}{
		{"lerp mid", Lerp, 0.5, []float64{0.5, 0.5}},
		{"slerp mid", Slerp, 0.5, []float64{1 / math.Sqrt2, 1 / math.Sqrt2}},
		{"slerp third", Slerp, 1.0 / 3, []float64{math.Cos(math.Pi / 6), math.Sin(math.Pi / 6)}},
		{"slerp start", Slerp, 0, []float64{1, 0}},
		{"slerp end", Slerp, 1, []float64{0, 1}},
	}
	for _, tc := range tests {
		got := tc.f(e1, e2, tc.t)
		for i := range got {
			if math.Abs(float64(got[i])-tc.want[i]) > 1e-6 {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
	z := LatentVectors(9, 2, 100)
	a, b := z[:100], z[100:]
	for _, f := range []func(a, b []float32, t float64) []float32{Lerp, Slerp} {
		if !slicesEqual(f(a, b, 0), a) || !slicesEqual(f(a, b, 1), b) {
			t.Errorf("an interpolation does not start at a and end at b")
		}
	}
	na, nb := norm(a), norm(b)
	for k := 1; k < 10; k++ {
		s := float64(k) / 10
		if got, want := norm(Slerp(a, b, s)), (1-s)*na+s*nb; math.Abs(got-want) > 1e-4*want {
			t.Errorf("slerp at %g: norm %g, want %g", s, got, want)
		}
	}
	if mid := norm(Lerp(a, b, 0.5)); mid > 0.8*math.Min(na, nb) {
		t.Errorf("lerp's midpoint norm %g is not well below the endpoints' %g, %g: the slerp check is too weak", mid, na, nb)
	}
}
