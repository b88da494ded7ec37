package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

// adamGolden are PyTorch 1.13's torch.optim.Adam results (float32, eps 1e-8)
// for adamGoldenStart and adamGoldenGrads, printed by testdata/adam_golden.py.
var (
	adamGoldenStart = []float32{0.5, -1.25, 3.0, 0.0, -0.001, 1e-6, 100.0}
	adamGoldenGrads = [][]float32{
		{0.1, -0.2, 3.0, 0.0, 1e-7, -50.0, 0.75},
		{-0.3, 0.2, 2.5, 1e-3, -1e-7, 40.0, 0.5},
		{0.05, 0.0, -1.0, -2e-3, 2e-7, -30.0, -0.25},
	}
	adamGolden = []struct {
		lr, beta1, beta2 float64
		steps            []struct{ p, m, v []float32 } // after each step
	}{
		{lr: 0.0002, beta1: 0.5, beta2: 0.999, steps: []struct{ p, m, v []float32 }{
			{
				p: []float32{0.4997999966144562, -1.2497999668121338, 2.999799966812134, 0.0, -0.001181818195618689, 0.00020099997345823795, 99.99980163574219},
				m: []float32{0.05000000074505806, -0.10000000149011612, 1.5, 0.0, 5.000000058430487e-08, -25.0, 0.375},
				v: []float32{1.0000000656873453e-05, 4.0000002627493814e-05, 0.008999999612569809, 0.0, 1.0000000664932203e-17, 2.5, 0.0005624999757856131},
			},
			{
				p: []float32{0.49994903802871704, -1.2498666048049927, 2.9996068477630615, -0.00018851200002245605, -0.0011212121462449431, 0.0001568249281262979, 99.99961853027344},
				m: []float32{-0.125, 0.05000000074505806, 2.0, 0.0005000000237487257, -2.5000000292152436e-08, 7.5, 0.4375},
				v: []float32{9.999000758398324e-05, 7.996000204002485e-05, 0.01524099987000227, 1.0000001937626735e-09, 1.9990002370619865e-17, 4.097499847412109, 0.0008119374979287386},
			},
			{
				p: []float32{0.4999954104423523, -1.2499016523361206, 2.9995577335357666, -5.577814590651542e-05, -0.0012532630935311317, 0.00021982190082781017, 99.99958038330078},
				m: []float32{-0.03750000149011612, 0.02500000037252903, 0.5, -0.000750000006519258, 8.749999835799827e-08, -11.25, 0.09375},
				v: []float32{0.00010239001858280972, 7.988004654180259e-05, 0.01622575893998146, 4.9990007688904825e-09, 5.997001869238817e-17, 4.993402481079102, 0.000873625569511205},
			},
		}},
		{lr: 0.001, beta1: 0.9, beta2: 0.999, steps: []struct{ p, m, v []float32 }{
			{
				p: []float32{0.49900001287460327, -1.2489999532699585, 2.999000072479248, 0.0, -0.001909090904518962, 0.001000999822281301, 99.9990005493164},
				m: []float32{0.010000000707805157, -0.020000001415610313, 0.30000001192092896, 0.0, 9.99999993922529e-09, -5.0, 0.07500000298023224},
				v: []float32{1.0000000656873453e-05, 4.0000002627493814e-05, 0.008999999612569809, 0.0, 1.0000000664932203e-17, 2.5, 0.0005624999757856131},
			},
			{
				p: []float32{0.49949419498443604, -1.24905264377594, 2.998008966445923, -0.00074412627145648, -0.001861243974417448, 0.0010591248283162713, 99.99803161621094},
				m: []float32{-0.021000001579523087, 0.0019999993965029716, 0.5200000405311584, 0.00010000000474974513, -1.0000004158072784e-09, -0.4999999403953552, 0.11750000715255737},
				v: []float32{9.999000758398324e-05, 7.996000204002485e-05, 0.01524099987000227, 1.0000001937626735e-09, 1.9990002370619865e-17, 4.097499847412109, 0.0008119374979287386},
			},
			{
				p: []float32{0.49977168440818787, -1.2490932941436768, 2.9974253177642822, -0.00042984250467270613, -0.0023265895433723927, 0.0013710102066397667, 99.99748229980469},
				m: []float32{-0.013900001533329487, 0.0017999993870034814, 0.3680000305175781, -0.00011000000813510269, 1.9099999803984247e-08, -3.450000047683716, 0.0807500034570694},
				v: []float32{0.00010239001858280972, 7.988004654180259e-05, 0.01622575893998146, 4.9990007688904825e-09, 5.997001869238817e-17, 4.993402481079102, 0.000873625569511205},
			},
		}},
	}
)

// closeFloat32 allows PyTorch's kernels their rounding (fused multiply-adds):
// a few float32 ulps of the larger of the result and the gradient it came
// from, since m = β₁m + (1−β₁)g can cancel to far less than its terms (and
// carries that rounding into later steps): gradScale is the largest gradient
// of the element so far.
func closeFloat32(got, want float32, gradScale float64) bool {
	if got == want {
		return true
	}
	scale := math.Abs(float64(want)) + gradScale
	return math.Abs(float64(got-want)) <= 4e-7*scale
}

func TestAdamMatchesPyTorch(t *testing.T) {
	for _, tc := range adamGolden {
		o := &adam{lr: tc.lr, beta1: tc.beta1, beta2: tc.beta2, epsilon: 1e-8}
		n := len(adamGoldenStart)
		for _, update := range []struct {
			name string
			fn   func(p, g, m, v []float32, c adamCoefficients)
		}{{"scalar", adamUpdate}, {"fast", adamUpdateFast}} {
			p := append([]float32(nil), adamGoldenStart...)
			m, v := make([]float32, n), make([]float32, n)
			gradScale := make([]float64, n)
			for step, want := range tc.steps {
				for i, g := range adamGoldenGrads[step] {
					gradScale[i] = max(gradScale[i], math.Abs(float64(g)))
				}
				update.fn(p, adamGoldenGrads[step], m, v, o.coefficients(int64(step+1)))
				for _, got := range []struct {
					name      string
					got, want []float32
				}{{"p", p, want.p}, {"m", m, want.m}, {"v", v, want.v}} {
					for i := range got.got {
						if !closeFloat32(got.got[i], got.want[i], gradScale[i]) {
							t.Errorf("%s lr %g betas (%g, %g) step %d: %s[%d] = %.9g, PyTorch %.9g",
								update.name, tc.lr, tc.beta1, tc.beta2, step+1, got.name, i, got.got[i], got.want[i])
						}
					}
				}
			}
		}
	}
}

// The SIMD update must be bitwise the scalar one, at every length (full
// vectors of 8 and 16 lanes, and the scalar tail).
func TestAdamFastIsBitwiseScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	o := &adam{lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 33, 1000} {
		vals := func(scale float64) []float32 {
			s := make([]float32, n)
			for i := range s {
				s[i] = float32(rng.NormFloat64() * scale)
			}
			return s
		}
		p, g, m := vals(1), vals(0.1), vals(0.01)
		v := vals(0.01)
		for i := range v {
			v[i] *= v[i]
		}
		p2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		c := o.coefficients(3)
		adamUpdate(p, g, m, v, c)
		adamUpdateFast(p2, g, m2, v2, c)
		for i := range n {
			if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) ||
				math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
				t.Fatalf("n=%d, i=%d: fast (%g, %g, %g) != scalar (%g, %g, %g)", n, i, p2[i], m2[i], v2[i], p[i], m[i], v[i])
			}
		}
	}
}

// The host update (go backend) and the in-graph one (backends without shared
// buffers) do the same float32 operations in the same order: three training
// iterations leave every variable, moments included, bitwise the same.
func TestAdamOnHostMatchesInGraph(t *testing.T) {
	for _, arch := range []string{ModelMLP, ModelDCGAN} {
		t.Run(arch, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Model = arch
			run := func(inGraph bool) *model.Store {
				tr, err := NewTrainer(testBackend(t), cfg, newSyntheticSource(64, cfg.Batch, 7), cfg.Steps, Options{adamInGraph: inGraph})
				if err != nil {
					t.Fatal(err)
				}
				if tr.adamD.onHost == inGraph {
					t.Fatalf("adam onHost = %v with adamInGraph = %v", tr.adamD.onHost, inGraph)
				}
				for range 3 {
					if _, err := tr.TrainStep(); err != nil {
						t.Fatal(err)
					}
				}
				return tr.Store()
			}
			host, graph := variableDigests(t, run(false), "/"), variableDigests(t, run(true), "/")
			if len(host) != len(graph) {
				t.Fatalf("host run has %d variables, in-graph run %d", len(host), len(graph))
			}
			moments := 0
			for path, digest := range host {
				if graph[path] != digest {
					t.Errorf("%s differs between the host and the in-graph update", path)
				}
				if len(path) > len(adamScope) && path[:len(adamScope)] == adamScope {
					moments++
				}
			}
			if moments == 0 {
				t.Errorf("no optimiser state under %s among %d variables", adamScope, len(host))
			}
		})
	}
}
