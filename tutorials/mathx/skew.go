package mathx

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// PlanarRotation is one block of the normal form of an antisymmetric matrix: a rotation at rate
// Omega in the plane spanned by the orthonormal U and V, the matrix Omega·(V Uᵀ − U Vᵀ), which
// maps U to Omega·V and V to −Omega·U.
type PlanarRotation struct {
	Omega float64
	U, V  []float64
}

// PlanarRotations returns the normal form of the antisymmetric n×n matrix a (row-major, a[i][j]):
// rotations in mutually orthogonal planes, at most n/2 of them, whose sum is a. In 3-D there is
// one plane, and Omega·(U × V) is the axial vector ω of a·v = ω × v; from 4-D on there can be
// several planes, and no single vector describes a. Rates below tol·(largest rate) are dropped.
//
// It works from the symmetric matrix −a², whose eigenvalues are the squared rates, each twice:
// for an eigenvector u of −a² with eigenvalue ω², v = a·u/ω completes the plane.
func PlanarRotations(a [][]float64, tol float64) ([]PlanarRotation, error) {
	n := len(a)
	am := mat.NewDense(n, n, nil)
	for i := range n {
		if len(a[i]) != n {
			return nil, fmt.Errorf("mathx: row %d has %d entries, want %d", i, len(a[i]), n)
		}
		for j := range n {
			if math.Abs(a[i][j]+a[j][i]) > 1e-12*(1+math.Abs(a[i][j])) {
				return nil, fmt.Errorf("mathx: matrix is not antisymmetric at (%d, %d)", i, j)
			}
			am.Set(i, j, a[i][j])
		}
	}
	var sq mat.Dense
	sq.Mul(am, am)
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, -(sq.At(i, j)+sq.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, fmt.Errorf("mathx: eigendecomposition failed")
	}
	values := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(x, y int) bool { return values[order[x]] > values[order[y]] })
	largest := math.Sqrt(math.Max(values[order[0]], 0))
	var out []PlanarRotation
	var basis [][]float64 // the planes found so far, to keep the next u orthogonal to them
	for _, k := range order {
		omega := math.Sqrt(math.Max(values[k], 0))
		if omega <= tol*largest || omega == 0 {
			break
		}
		u := mat.Col(nil, k, &vecs)
		for _, b := range basis { // Gram–Schmidt against earlier planes (repeated rates)
			d := dot(u, b)
			for i := range u {
				u[i] -= d * b[i]
			}
		}
		nu := math.Sqrt(dot(u, u))
		if nu < 0.5 { // this eigenvector lies in a plane already taken
			continue
		}
		for i := range u {
			u[i] /= nu
		}
		v := make([]float64, n)
		for i := range n {
			for j := range n {
				v[i] += a[i][j] * u[j]
			}
			v[i] /= omega
		}
		out = append(out, PlanarRotation{Omega: omega, U: u, V: v})
		basis = append(basis, u, v)
	}
	return out, nil
}

// SumOfRotations returns the n×n matrix of the sum of the rotations, Σ Omega·(V Uᵀ − U Vᵀ).
func SumOfRotations(rs []PlanarRotation, n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	for _, r := range rs {
		for i := range n {
			for j := range n {
				m[i][j] += r.Omega * (r.V[i]*r.U[j] - r.U[i]*r.V[j])
			}
		}
	}
	return m
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
