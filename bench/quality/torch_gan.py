#!/usr/bin/python3
"""Trains the PyTorch reference GAN on real MNIST and writes generated samples.

The architectures are imported from ../shared/bench/torch_gan_bench.py (the ones
ganbook's mlp and dcgan models reproduce), so the two sides cannot drift apart.
The training recipe mirrors ganbook's trainer: per iteration one D step (real
batch against targets --real-label, a detached fake batch from fresh z against
0, the two BCE-with-logits means summed) then one G step (fresh z,
non-saturating loss: BCE against 1); two Adam optimisers (lr, betas (0.5, 0.999),
eps 1e-8); real batches are an epoch-wise shuffle of the 60,000 training images
with the last partial batch dropped; pixels in [-1, 1] (dcgan, tanh) or [0, 1]
(mlp, sigmoid). Samples are drawn with G in eval mode (batch-norm running
averages, as ganbook's Trainer.Generate) and written as raw little-endian
float32, N x 28 x 28, mapped to [0, 1].

Usage: torch_gan.py --bench-script PATH --mnist-dir DIR --model dcgan --steps N
       --batch 64 --out samples.f32 [--samples 10000] [--real-label 0.9] ...
"""
import argparse
import gzip
import importlib.util
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def load_idx_images(path):
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        raw = f.read()
    magic, n, h, w = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 0x803 or h != 28 or w != 28:
        sys.exit(f"{path}: not an MNIST IDX image file (magic {magic:#x}, {h}x{w})")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, 28 * 28)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-script", required=True, help="path of torch_gan_bench.py (the architectures)")
    ap.add_argument("--mnist-dir", required=True, help="directory with train-images-idx3-ubyte(.gz)")
    ap.add_argument("--model", choices=["dcgan", "mlp"], default="dcgan")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr-d", type=float, default=2e-4)
    ap.add_argument("--lr-g", type=float, default=2e-4)
    ap.add_argument("--beta1", type=float, default=0.5)
    ap.add_argument("--beta2", type=float, default=0.999)
    ap.add_argument("--real-label", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    spec = importlib.util.spec_from_file_location("torch_gan_bench", a.bench_script)
    arch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(arch)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    path = os.path.join(a.mnist_dir, "train-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        path = path[:-3]
    images = torch.from_numpy(load_idx_images(path).astype(np.float32) / 255.0)
    if a.model == "dcgan":
        G, D = arch.DCGen(), arch.dc_disc()
        images = (images * 2 - 1).view(-1, 1, 28, 28)
        low, high = -1.0, 1.0
    else:
        G, D = arch.mlp_gen(), arch.mlp_disc()
        low, high = 0.0, 1.0
        # ganbook's MLP uses He-normal weights and zero biases (gan.NewArchitecture:
        # PyTorch's default init made the recipe collapse); the same here.
        for m in list(G.modules()) + list(D.modules()):
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, (2.0 / m.in_features) ** 0.5)
                nn.init.zeros_(m.bias)
    zdim = arch.ZDIM

    crit = nn.BCEWithLogitsLoss()
    optD = torch.optim.Adam(D.parameters(), lr=a.lr_d, betas=(a.beta1, a.beta2), eps=1e-8)
    optG = torch.optim.Adam(G.parameters(), lr=a.lr_g, betas=(a.beta1, a.beta2), eps=1e-8)
    real_t = torch.full((a.batch, 1), a.real_label)
    ones = torch.ones(a.batch, 1)
    zeros = torch.zeros(a.batch, 1)
    per_epoch = images.shape[0] // a.batch
    perm = rng.permutation(images.shape[0])
    start = time.perf_counter()
    for step in range(a.steps):
        k = step % per_epoch
        if k == 0 and step > 0:
            perm = rng.permutation(images.shape[0])
        real = images[perm[k * a.batch:(k + 1) * a.batch]]
        optD.zero_grad(set_to_none=True)
        fake = G(torch.randn(a.batch, zdim)).detach()
        out_real = D(real)
        lossD = crit(out_real, real_t) + crit(D(fake), zeros)
        lossD.backward()
        optD.step()
        optG.zero_grad(set_to_none=True)
        lossG = crit(D(G(torch.randn(a.batch, zdim))), ones)
        lossG.backward()
        optG.step()
        if (step + 1) % max(1, a.steps // 10) == 0 or step + 1 == a.steps:
            print(f"torch step {step + 1}/{a.steps}  D loss {lossD.item():.4f}  G loss {lossG.item():.4f}  "
                  f"D(x) {torch.sigmoid(out_real).mean().item():.3f}  {time.perf_counter() - start:.0f}s", flush=True)
    train_s = time.perf_counter() - start

    G.eval()
    out = []
    with torch.no_grad():
        for i in range(0, a.samples, 500):
            x = G(torch.randn(min(500, a.samples - i), zdim)).reshape(-1, 28 * 28)
            out.append(((x - low) / (high - low)).clamp(0, 1).numpy().astype("<f4"))
    np.concatenate(out).tofile(a.out)
    print(f"torch train_seconds {train_s:.1f}  threads {torch.get_num_threads()}  samples {a.samples} -> {a.out}", flush=True)


if __name__ == "__main__":
    main()
