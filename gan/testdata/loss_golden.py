#!/usr/bin/python3
"""Golden values for gan/loss_test.go, computed with PyTorch (Debian python3-torch).

Run: /usr/bin/python3 gan/testdata/loss_golden.py
"""
import torch
import torch.nn.functional as F

cases = [
    ("ordinary", [1.5, -0.3, 0.7], [-2.0, 0.4, -0.1]),
    ("zero", [0.0], [0.0]),
    ("extreme", [50.0, -50.0], [-50.0, 50.0]),
]
for name, real, fake in cases:
    r = torch.tensor(real, dtype=torch.float64)
    f = torch.tensor(fake, dtype=torch.float64)
    for label in (1.0, 0.9):
        d = F.binary_cross_entropy_with_logits(r, torch.full_like(r, label)) + \
            F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
        print(f"{name} D(real_label={label}) = {d.item():.17g}")
    ns = F.binary_cross_entropy_with_logits(f, torch.ones_like(f))
    mm = torch.log1p(-torch.sigmoid(f)).mean()  # log(1 - D(G(z)))
    mm_stable = -F.softplus(f).mean()
    print(f"{name} G nonsaturating = {ns.item():.17g}")
    print(f"{name} G minimax = {mm_stable.item():.17g} (naive log1p(-sigmoid): {mm.item():.17g})")

# The hinge loss (gan/hinge_test.go has these by hand): D and G, and their gradients.
for name, real, fake in cases + [("margins met", [2.0, 3.0], [-4.0, -2.0])]:
    r = torch.tensor(real, dtype=torch.float64, requires_grad=True)
    f = torch.tensor(fake, dtype=torch.float64, requires_grad=True)
    d = torch.relu(1 - r).mean() + torch.relu(1 + f).mean()
    d.backward()
    g = -f.mean()
    print(f"{name} hinge D = {d.item():.17g} dD/dr = {r.grad.tolist()} dD/df = {f.grad.tolist()}")
    print(f"{name} hinge G = {g.item():.17g}")
