package mathx

import (
	"fmt"
	"math"
)

// Point is a position (x, y) of the two players of a two-player game.
type Point [2]float64

// Radius returns the distance of p from the equilibrium (0, 0).
func (p Point) Radius() float64 { return math.Hypot(p[0], p[1]) }

// BilinearField returns the simultaneous-gradient field of min_x max_y f(x, y) = xy:
// ξ = (∂f/∂x, −∂f/∂y) = (y, −x). Each player descends its own loss along ξ.
func BilinearField(p Point) Point { return Point{p[1], -p[0]} }

// Step is one iteration of a game-solving method; prev is the previous iterate, which only
// methods with memory (optimistic GD) use.
type Step func(p, prev Point, eta float64) Point

// SimultaneousGD moves both players at once: z ← z − η ξ(z).
func SimultaneousGD(p, _ Point, eta float64) Point {
	v := BilinearField(p)
	return Point{p[0] - eta*v[0], p[1] - eta*v[1]}
}

// AlternatingGD moves x first, then y against the updated x.
func AlternatingGD(p, _ Point, eta float64) Point {
	x := p[0] - eta*BilinearField(p)[0]
	y := p[1] - eta*BilinearField(Point{x, p[1]})[1]
	return Point{x, y}
}

// Extragradient takes a look-ahead step z̃ = z − η ξ(z) and then updates z with the field at z̃.
func Extragradient(p, _ Point, eta float64) Point {
	v := BilinearField(p)
	look := Point{p[0] - eta*v[0], p[1] - eta*v[1]}
	w := BilinearField(look)
	return Point{p[0] - eta*w[0], p[1] - eta*w[1]}
}

// OptimisticGD extrapolates with the previous field: z ← z − 2η ξ(z_t) + η ξ(z_{t−1}).
func OptimisticGD(p, prev Point, eta float64) Point {
	v, u := BilinearField(p), BilinearField(prev)
	return Point{p[0] - 2*eta*v[0] + eta*u[0], p[1] - 2*eta*v[1] + eta*u[1]}
}

// ConsensusGD follows ξ + γ ∇(½|ξ|²) (Mescheder et al., 2017): the extra term descends the
// squared norm of the field, which pulls towards the equilibrium and damps the rotation.
// For f = xy, ∇(½|ξ|²) = (x, y). gamma is the consensus weight.
func ConsensusGD(gamma float64) Step {
	return func(p, _ Point, eta float64) Point {
		v := BilinearField(p)
		return Point{p[0] - eta*(v[0]+gamma*p[0]), p[1] - eta*(v[1]+gamma*p[1])}
	}
}

// SGA follows the symplectic gradient adjustment ξ + λ Aᵀ ξ (Balduzzi et al., 2018), where A is the
// antisymmetric part of the game Jacobian J = ∂ξ/∂z. For f = xy, J = [[0, 1], [−1, 0]] = A.
func SGA(lambda float64) Step {
	return func(p, _ Point, eta float64) Point {
		j := BilinearJacobian()
		_, a := j.SymAntisym()
		v := BilinearField(p)
		adj := Point{v[0] + lambda*(a[0][0]*v[0]+a[1][0]*v[1]), v[1] + lambda*(a[0][1]*v[0]+a[1][1]*v[1])}
		return Point{p[0] - eta*adj[0], p[1] - eta*adj[1]}
	}
}

// Mat2 is a 2×2 matrix, indexed [row][column].
type Mat2 [2][2]float64

// SymAntisym splits m into (m + mᵀ)/2 and (m − mᵀ)/2.
func (m Mat2) SymAntisym() (sym, antisym Mat2) {
	for i := range 2 {
		for j := range 2 {
			sym[i][j] = (m[i][j] + m[j][i]) / 2
			antisym[i][j] = (m[i][j] - m[j][i]) / 2
		}
	}
	return sym, antisym
}

// BilinearJacobian returns J = ∂ξ/∂z of BilinearField, by central finite differences
// (so that it is derived from the field, not written down).
func BilinearJacobian() Mat2 {
	const h = 1e-6
	var j Mat2
	for c := range 2 {
		var e Point
		e[c] = h
		plus := BilinearField(Point{e[0], e[1]})
		minus := BilinearField(Point{-e[0], -e[1]})
		for r := range 2 {
			j[r][c] = (plus[r] - minus[r]) / (2 * h)
		}
	}
	return j
}

// Trajectory runs steps iterations of method from z0 with step size eta and returns all
// iterates, z0 first. Optimistic GD's first step uses z0 as its own predecessor.
func Trajectory(method Step, z0 Point, eta float64, steps int) []Point {
	traj := make([]Point, 0, steps+1)
	traj = append(traj, z0)
	prev := z0
	for range steps {
		cur := traj[len(traj)-1]
		next := method(cur, prev, eta)
		prev = cur
		traj = append(traj, next)
	}
	return traj
}

// AlternatingInvariant returns Q(x, y) = x² + y² − η·x·y, which AlternatingGD conserves exactly:
// with x' = x − ηy and y' = y + ηx', Q(x', y') = x'x + y² = Q(x, y). The iterates therefore stay on
// the ellipse Q = const and cycle instead of spiralling.
func AlternatingInvariant(p Point, eta float64) float64 {
	return p[0]*p[0] + p[1]*p[1] - eta*p[0]*p[1]
}

// String formats m row by row, printing −0 as 0.
func (m Mat2) String() string {
	return fmt.Sprintf("[[%g %g] [%g %g]]", m[0][0]+0, m[0][1]+0, m[1][0]+0, m[1][1]+0)
}
