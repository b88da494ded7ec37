#!/usr/bin/python3
"""Times one architecture of the PyTorch reference models and reports CPU time.

Usage: /usr/bin/python3 bench/torch_one.py --arch mlp|dcgan [--threads N] [--iters 30] [--warmup 5]

The models are bench/torch_models.py's (ganbook's mlp and dcgan, layer for
layer). One iteration = one D step (real + detached fake) + one G step (fresh
z), BCE-with-logits non-saturating loss, Adam lr 2e-4 betas (0.5, 0.999), on
random data in the architecture's pixel range: batch 128 for mlp, 64 for dcgan
(gan/bench_test.go's BenchmarkIterationMLP and BenchmarkIterationDCGAN).
images/s = batch / iteration wall time; the median over --iters is reported.
One architecture per process, so that the process's peak RSS belongs to it;
cpu_ms_per_iter is the process time over warm-up and timed iterations together.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402

BATCH = {"mlp": 128, "dcgan": 64}


def bench(name, G, D, real, iters, warmup):
    bs = real.shape[0]
    crit = nn.BCEWithLogitsLoss()
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones = torch.ones(bs, 1)
    zeros = torch.zeros(bs, 1)
    times = []
    for it in range(warmup + iters):
        t0 = time.perf_counter()
        optD.zero_grad(set_to_none=True)
        fake = G(torch.randn(bs, torch_models.ZDIM)).detach()
        lossD = crit(D(real), ones) + crit(D(fake), zeros)
        lossD.backward()
        optD.step()
        optG.zero_grad(set_to_none=True)
        lossG = crit(D(G(torch.randn(bs, torch_models.ZDIM))), ones)
        lossG.backward()
        optG.step()
        if it >= warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    nG = sum(p.numel() for p in G.parameters())
    nD = sum(p.numel() for p in D.parameters())
    print(f"{name:10s} batch={bs:4d} params G={nG} D={nD} median_iter={med*1e3:8.2f} ms "
          f"min={min(times)*1e3:8.2f} ms  median img/s={bs/med:9.1f}  "
          f"(lossD={lossD.item():.3f} lossG={lossG.item():.3f})", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=sorted(torch_models.ARCHS), required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}  num_threads={torch.get_num_threads()}  "
          f"interop={torch.get_num_interop_threads()}  openblas {torch_models.openblas_corename()}", flush=True)
    G, D, low, high, shape = torch_models.build(a.arch)
    real = torch.rand(BATCH[a.arch], *shape) * (high - low) + low
    cpu0 = time.process_time()
    bench(a.arch.upper() if a.arch == "dcgan" else "MLP-GAN", G, D, real, a.iters, a.warmup)
    cpu = (time.process_time() - cpu0) / (a.iters + a.warmup)
    print(f"cpu_ms_per_iter= {cpu * 1e3:.2f}", flush=True)


if __name__ == "__main__":
    main()
