#!/usr/bin/python3
"""Golden Fréchet distances for frechet_test.go, computed the way pytorch-fid
does (scipy.linalg.sqrtm of the non-symmetric product Σa·Σb), independently of
ganbook's eigendecomposition route. Run: /usr/bin/python3 frechet_golden.py"""
import numpy as np
from scipy import linalg

cases = {
    "non-commuting 3x3": (
        [0.5, -1.0, 2.0], [[2.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 0.5]],
        [0.0, 0.25, 1.5], [[1.0, -0.2, 0.4], [-0.2, 2.0, 0.1], [0.4, 0.1, 1.5]],
    ),
    "ill-conditioned 4x4": (
        [1.0, 2.0, 3.0, 4.0],
        [[1e-6, 0, 0, 0], [0, 1.0, 0.9, 0], [0, 0.9, 1.0, 0], [0, 0, 0, 100.0]],
        [1.5, 2.0, 2.5, 4.0],
        [[3.0, 1.0, 0.0, 0.5], [1.0, 2.0, 0.3, 0.0], [0.0, 0.3, 1.0, 0.2], [0.5, 0.0, 0.2, 50.0]],
    ),
}
for name, (m1, s1, m2, s2) in cases.items():
    m1, s1, m2, s2 = map(np.array, (m1, s1, m2, s2))
    covmean = linalg.sqrtm(s1 @ s2)
    if np.iscomplexobj(covmean):
        assert np.max(np.abs(covmean.imag)) < 1e-8
        covmean = covmean.real
    fd = np.sum((m1 - m2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    print(f"{name}: {fd:.15g}")
