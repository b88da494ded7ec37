package mathx

// LeviCivita returns ε_ijk for indices in {0, 1, 2}: +1 for an even permutation of (0, 1, 2),
// −1 for an odd one, 0 when two indices are equal.
func LeviCivita(i, j, k int) float64 {
	if i == j || j == k || i == k {
		return 0
	}
	return float64((j - i) * (k - i) * (k - j) / 2)
}

// HodgeDual3 returns ⋆w with (⋆w)_i = ½ Σ_jk ε_ijk w_jk for an antisymmetric 3×3 matrix w, the
// components of a bivector. For w = a ⊗ b − b ⊗ a, the components of the exterior product a ∧ b,
// it is a × b.
func HodgeDual3(w Mat3) Vec3 {
	var d Vec3
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				d[i] += 0.5 * LeviCivita(i, j, k) * w[j][k]
			}
		}
	}
	return d
}
