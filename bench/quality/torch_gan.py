#!/usr/bin/python3
"""Trains the PyTorch reference GAN on real MNIST and writes generated samples.

The architectures are bench/torch_models.py's: ganbook's mlp and dcgan models,
layer for layer and with the same initialisation (bench/quality's
TestTorchModelsMatchGanbook checks their parameters against ganbook's).
The training recipe mirrors ganbook's trainer: per iteration one D step (real
batch against targets --real-label, a detached fake batch from fresh z against
0, the two BCE-with-logits means summed) then one G step (fresh z,
non-saturating loss: BCE against 1); two Adam optimisers (lr, betas (0.5, 0.999),
eps 1e-8); real batches are an epoch-wise shuffle of the 60,000 training images
with the last partial batch dropped; pixels in [-1, 1] (dcgan, tanh) or [0, 1]
(mlp, sigmoid). Samples are drawn with G in eval mode (batch-norm running
averages, as ganbook's Trainer.Generate) and written as raw little-endian
float32, N x 28 x 28, mapped to [0, 1].

Usage: torch_gan.py --mnist-dir DIR --model dcgan --steps N
       --batch 64 --out samples.f32 [--samples 10000] [--real-label 0.9] ...
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import torch_models  # noqa: E402


def load_idx_images(path):
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        raw = f.read()
    magic, n, h, w = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 0x803 or h != 28 or w != 28:
        sys.exit(f"{path}: not an MNIST IDX image file (magic {magic:#x}, {h}x{w})")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, 28 * 28)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist-dir", required=True, help="directory with train-images-idx3-ubyte(.gz)")
    ap.add_argument("--model", choices=sorted(torch_models.ARCHS), default="dcgan")
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

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}  num_threads={torch.get_num_threads()}  "
          f"openblas {torch_models.openblas_corename()}", flush=True)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    path = os.path.join(a.mnist_dir, "train-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        path = path[:-3]
    images = torch.from_numpy(load_idx_images(path).astype(np.float32) / 255.0)
    G, D, low, high, shape = torch_models.build(a.model)
    images = (images * (high - low) + low).view(-1, *shape)
    zdim = torch_models.ZDIM

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
