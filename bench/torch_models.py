#!/usr/bin/python3
"""PyTorch reference models: ganbook's `mlp` and `dcgan` GANs, layer for layer.

The same layers, shapes and initialisation as gan/models.go and gan/dcgan.go
(initialisation: gan/blocks/init.go), so that bench/torch_one.py (speed) and
bench/quality/torch_gan.py (quality) compare like with like:

  mlp    G: z(100)->128->256->512->784, LeakyReLU 0.2, sigmoid out, pixels in [0, 1]
         D: 784->512->256->128->1, LeakyReLU 0.2, logit out
         He-normal weights N(0, 2/fan_in), zero biases (blocks.InitHe)
  dcgan  G: z->dense 7*7*128->BN->ReLU->convT 4x4 s2 p1->64->BN->ReLU->convT 4x4 s2 p1->1->tanh
         D: conv 4x4 s2 p1->64->LeakyReLU->conv 4x4 s2 p1->128->BN->LeakyReLU->dense->logit
         PyTorch's default initialisation (blocks.InitPyTorch copies it), pixels in [-1, 1]
  Batch norm: eps 1e-5, momentum 0.1, gamma 1, beta 0 (blocks.BatchNorm's defaults).

ganbook's MLP discriminator may add dropout (Config.DropoutD); it has no
parameters and the benchmarks run without it.

`/usr/bin/python3 bench/torch_models.py --params` prints, as JSON, the size of
every trainable tensor of each network; bench/quality's TestTorchModelsMatchGanbook
compares them with ganbook's own variables.
"""
import argparse
import ctypes
import ctypes.util
import json

import torch
import torch.nn as nn

ZDIM = 100  # gan.DefaultConfig().LatentDim
IMAGE = 28  # gan.ImageSize
LEAKY = 0.2  # gan's leakySlope


class DCGen(nn.Module):
    def __init__(self, zdim=ZDIM):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(zdim, 7 * 7 * 128), nn.BatchNorm1d(7 * 7 * 128), nn.ReLU(True))
        self.net = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(True),  # 7 -> 14
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),  # 14 -> 28
        )

    def forward(self, z):
        return self.net(self.fc(z).view(-1, 128, 7, 7))


def dcgan_discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(LEAKY, True),  # 28 -> 14
        nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(LEAKY, True),  # 14 -> 7
        nn.Flatten(), nn.Linear(7 * 7 * 128, 1),
    )


def he_init(net):
    """blocks.InitHe: weights N(0, 2/fan_in), biases 0."""
    for m in net.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, (2.0 / m.in_features) ** 0.5)
            nn.init.zeros_(m.bias)
    return net


def mlp_generator(zdim=ZDIM):
    return he_init(nn.Sequential(
        nn.Linear(zdim, 128), nn.LeakyReLU(LEAKY),
        nn.Linear(128, 256), nn.LeakyReLU(LEAKY),
        nn.Linear(256, 512), nn.LeakyReLU(LEAKY),
        nn.Linear(512, IMAGE * IMAGE), nn.Sigmoid(),
    ))


def mlp_discriminator():
    # a logit out: the sigmoid is folded into BCEWithLogitsLoss, as in gan.DiscriminatorLoss
    return he_init(nn.Sequential(
        nn.Linear(IMAGE * IMAGE, 512), nn.LeakyReLU(LEAKY),
        nn.Linear(512, 256), nn.LeakyReLU(LEAKY),
        nn.Linear(256, 128), nn.LeakyReLU(LEAKY),
        nn.Linear(128, 1),
    ))


# ARCHS: name -> (generator, discriminator, pixel low, pixel high, real-batch shape after the batch axis)
ARCHS = {
    "mlp": (mlp_generator, mlp_discriminator, 0.0, 1.0, (IMAGE * IMAGE,)),
    "dcgan": (DCGen, dcgan_discriminator, -1.0, 1.0, (1, IMAGE, IMAGE)),
}


def build(arch):
    """Returns (G, D, low, high, image shape) for ganbook's model name arch."""
    gen, disc, low, high, shape = ARCHS[arch]
    return gen(), disc(), low, high, shape


def openblas_corename():
    """The OpenBLAS kernel torch runs on (what OPENBLAS_CORETYPE would force)."""
    for lib in [ctypes.util.find_library("openblas"), "libopenblas.so.0"]:
        if not lib:
            continue
        try:
            f = ctypes.CDLL(lib).openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode()
    return "unknown (no libopenblas found)"


def trainable_sizes(net):
    return sorted(p.numel() for p in net.parameters() if p.requires_grad)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", action="store_true", help="print each network's trainable tensor sizes as JSON")
    a = ap.parse_args()
    if not a.params:
        ap.error("nothing to do: pass --params")
    out = {}
    for name in ARCHS:
        G, D, *_ = build(name)
        out[name] = {"generator": trainable_sizes(G), "discriminator": trainable_sizes(D)}
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
