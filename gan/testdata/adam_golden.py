#!/usr/bin/python3
"""Golden values for gan's Adam test (TestAdamMatchesPyTorch): PyTorch 1.13's
torch.optim.Adam on float32 parameters, three steps with fixed gradients.
Run: /usr/bin/python3 gan/testdata/adam_golden.py  (Debian's python3-torch)"""
import torch

def fmt(t):
    return "{" + ", ".join(repr(float(x)) for x in t.tolist()) + "}"

p0 = [0.5, -1.25, 3.0, 0.0, -0.001, 1e-6, 100.0]
grads = [
    [0.1, -0.2, 3.0, 0.0, 1e-7, -50.0, 0.75],
    [-0.3, 0.2, 2.5, 1e-3, -1e-7, 40.0, 0.5],
    [0.05, 0.0, -1.0, -2e-3, 2e-7, -30.0, -0.25],
]
for lr, b1, b2 in [(2e-4, 0.5, 0.999), (1e-3, 0.9, 0.999)]:
    p = torch.tensor(p0, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr, betas=(b1, b2), eps=1e-8)
    print(f"// lr {lr} betas ({b1}, {b2})")
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        st = opt.state[p]
        print("p", fmt(p.detach()))
        print("m", fmt(st["exp_avg"]))
        print("v", fmt(st["exp_avg_sq"]))
