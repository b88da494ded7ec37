#!/usr/bin/python3
"""Runs one architecture of the PyTorch reference benchmark and reports CPU time.

Usage: /usr/bin/python3 bench/torch_one.py --arch mlp|dcgan [--threads N] [--iters 30] [--warmup 5]
       [--script ../shared/bench/torch_gan_bench.py]

The models and the timed loop are the reference script's own (imported from --script, so
they cannot drift apart); this wrapper only runs one of its two benchmarks, so that each
process's peak RSS belongs to one architecture, and adds the CPU time per iteration
(process time over warm-up and timed iterations together).
"""
import argparse
import importlib.util
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["mlp", "dcgan"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--script", default="../shared/bench/torch_gan_bench.py")
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("torch_gan_bench", a.script)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}  num_threads={torch.get_num_threads()}  "
          f"interop={torch.get_num_interop_threads()}", flush=True)
    cpu0 = time.process_time()
    if a.arch == "dcgan":
        ref.bench("DCGAN", ref.DCGen(), ref.dc_disc(), torch.rand(64, 1, 28, 28) * 2 - 1, a.iters, a.warmup)
    else:
        ref.bench("MLP-GAN", ref.mlp_gen(), ref.mlp_disc(), torch.rand(128, 784), a.iters, a.warmup)
    cpu = (time.process_time() - cpu0) / (a.iters + a.warmup)
    print(f"cpu_ms_per_iter= {cpu * 1e3:.2f}", flush=True)


if __name__ == "__main__":
    main()
