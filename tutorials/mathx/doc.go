// Package mathx holds the small numerical pieces that notebooks 01–03 and the
// tutorials compute with: the 3-D and 7-D cross products and their identities,
// the optimal discriminator and Jensen–Shannon divergence of two 1-D densities,
// and gradient methods on the bilinear game f(x, y) = xy.
//
// Everything is plain float64 code, so that a notebook cell can show the
// formula it checks and the tutorials' tests can re-derive every number.
package mathx
