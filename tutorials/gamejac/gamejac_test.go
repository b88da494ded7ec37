package gamejac_test

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/tutorials/diracgan"
	"github.com/ganbook/ganbook/tutorials/gamejac"
	"github.com/ganbook/ganbook/tutorials/mathx"
)

func diracOperator(t *testing.T, at mathx.Vec3) *gamejac.Operator {
	t.Helper()
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	field := func(p []*graph.Node) []*graph.Node { return []*graph.Node{diracgan.FieldGraph(p[0])} }
	op, err := gamejac.NewOperator(backend, field, [][]int{{3}}, at[:])
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// The products against the Jacobian of the hand-derived field: by hand at the equilibrium,
// by finite differences of diracgan.Field3 elsewhere.
func TestProductsMatchTheDiracGANJacobian(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	points := []mathx.Vec3{{}}
	for range 5 {
		points = append(points, mathx.Vec3{2*r.Float64() - 1, 2*r.Float64() - 1, 2*r.Float64() - 1})
	}
	for i, z := range points {
		want, tol := diracgan.JacobianFD(diracgan.Field3, z, 1e-5), 1e-9
		if i == 0 {
			want, tol = diracgan.HandJacobian3(), 1e-14
		}
		op := diracOperator(t, z)
		for c := range 3 {
			e := make([]float64, 3)
			e[c] = 1
			jv, err := op.JV(e)
			if err != nil {
				t.Fatal(err)
			}
			jtv, err := op.JTV(e)
			if err != nil {
				t.Fatal(err)
			}
			fd, err := op.JVFiniteDiff(e, 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			for r := range 3 {
				if math.Abs(jv[r]-want[r][c]) > tol || math.Abs(jtv[r]-want[c][r]) > tol || math.Abs(fd[r]-want[r][c]) > 1e-9 {
					t.Errorf("at %v, column %d row %d: Jv %v, Jᵀv %v, finite differences %v; want J %v, Jᵀ %v", z, c, r, jv[r], jtv[r], fd[r], want[r][c], want[c][r])
				}
			}
		}
	}
}

// At the equilibrium ‖S‖_F = ½ and ‖A‖_F = √2/2 exactly; the probe estimate's 95 % intervals
// must contain them about 95 % of the time.
func TestFrobeniusIntervalsCoverTheExactNorms(t *testing.T) {
	op := diracOperator(t, mathx.Vec3{})
	const estimates, probes = 40, 100
	wantS2, wantA2 := 0.25, 0.5
	coveredS, coveredA := 0, 0
	for seed := range estimates {
		n, err := gamejac.Frobenius(op, probes, rand.New(rand.NewPCG(uint64(seed), 9)))
		if err != nil {
			t.Fatal(err)
		}
		if n.SquaredS.Low() <= wantS2 && wantS2 <= n.SquaredS.High() {
			coveredS++
		}
		if n.SquaredA.Low() <= wantA2 && wantA2 <= n.SquaredA.High() {
			coveredA++
		}
		if seed == 0 {
			lo, hi := n.RatioRange()
			if !(lo <= math.Sqrt2 && math.Sqrt2 <= hi) || math.Abs(n.Ratio()-math.Sqrt2) > 0.3 {
				t.Errorf("ratio %v in [%v, %v], want √2", n.Ratio(), lo, hi)
			}
		}
	}
	// Binomial(40, 0.95): fewer than 33 happens with probability < 0.1 %.
	if coveredS < 33 || coveredA < 33 {
		t.Errorf("the 95 %% intervals covered ‖S‖²_F in %d and ‖A‖²_F in %d of %d estimates", coveredS, coveredA, estimates)
	}
	t.Logf("coverage: S %d/%d, A %d/%d", coveredS, estimates, coveredA, estimates)
}
