package mathx

import "fmt"

// LinearGame is the two-player game min_x max_y f = c·xy + (a/2)(x² − y²), with potential a and
// coupling c. Its simultaneous gradient is ξ = (a·x + c·y, −c·x + a·y), so its Jacobian is
// J = [[a, c], [−c, a]]: S = a·I pulls towards the equilibrium, A = [[0, c], [−c, 0]] rotates, and
// the eigenvalues are a ± ic. With a = 0 and c = 1 it is notebook 03's f = xy.
type LinearGame struct {
	Potential, Coupling float64
}

// Field returns ξ(p).
func (g LinearGame) Field(p Point) Point {
	return Point{g.Potential*p[0] + g.Coupling*p[1], -g.Coupling*p[0] + g.Potential*p[1]}
}

// SymPart returns S·p, the part of ξ(p) that pulls towards (or pushes from) the equilibrium.
func (g LinearGame) SymPart(p Point) Point { return Point{g.Potential * p[0], g.Potential * p[1]} }

// AntisymPart returns A·p, the part of ξ(p) perpendicular to p: the rotation.
func (g LinearGame) AntisymPart(p Point) Point { return Point{g.Coupling * p[1], -g.Coupling * p[0]} }

// StepSizeLimit returns the eigenvalue criterion's bound for simultaneous GD, 2a/(a² + c²),
// and 0 when a ≤ 0 (no step size converges).
func (g LinearGame) StepSizeLimit() float64 {
	return GDStepSizeLimit([]complex128{complex(g.Potential, g.Coupling), complex(g.Potential, -g.Coupling)})
}

// GameMethodNames are the methods LinearGame.Step knows, in the explorer's order.
var GameMethodNames = []string{"simultaneous", "alternating", "extragradient", "optimistic", "consensus"}

// Step returns one iteration of the named method on g (consensus with γ = 1).
func (g LinearGame) Step(method string) (Step, error) {
	move := func(p, v Point, eta float64) Point { return Point{p[0] - eta*v[0], p[1] - eta*v[1]} }
	switch method {
	case "simultaneous":
		return func(p, _ Point, eta float64) Point { return move(p, g.Field(p), eta) }, nil
	case "alternating":
		return func(p, _ Point, eta float64) Point {
			x := p[0] - eta*g.Field(p)[0]
			return Point{x, p[1] - eta*g.Field(Point{x, p[1]})[1]}
		}, nil
	case "extragradient":
		return func(p, _ Point, eta float64) Point { return move(p, g.Field(move(p, g.Field(p), eta)), eta) }, nil
	case "optimistic":
		return func(p, prev Point, eta float64) Point {
			v, u := g.Field(p), g.Field(prev)
			return Point{p[0] - 2*eta*v[0] + eta*u[0], p[1] - 2*eta*v[1] + eta*u[1]}
		}, nil
	case "consensus": // ξ + Jᵀξ, Jᵀ = [[a, −c], [c, a]]
		return func(p, _ Point, eta float64) Point {
			v := g.Field(p)
			a, c := g.Potential, g.Coupling
			return move(p, Point{v[0] + a*v[0] - c*v[1], v[1] + c*v[0] + a*v[1]}, eta)
		}, nil
	}
	return nil, fmt.Errorf("mathx: unknown method %q (valid: %v)", method, GameMethodNames)
}
