#!/usr/bin/env python3
"""PyTorch side of benches/compare_dense_pytorch.sh: the dense trainer's job in PyTorch, timed.

The job of `cargo bench --bench dense_epoch`: an MLP 784-<hidden>-10 (ReLU or tanh hidden layers,
softmax output trained with cross-entropy on the logits), SGD without momentum, a fixed batch size,
on 8,000 generated samples of 784 features and 10 classes (Gaussian blobs as neuragent's `Blobs`
makes them: a centre uniform in [-5, 5]^784 per class plus unit noise, standardized; drawn here with
torch's generator, so the numbers differ from the Rust side's but not their distribution), weights U(+-sqrt(3/fan_in)) and biases 0 as neuragent initialises them, each epoch
a fresh shuffle, the last batch of an epoch shorter. One CPU thread.

Prints one JSON line per epoch: seconds (wall, the training loop of that epoch alone: shuffling,
slicing batches, forward, loss, backward, optimizer step), cpu_seconds (time.process_time over the
same span), samples_per_second, train_loss (mean over the epoch), and the settings.

    python benches/pytorch_dense.py --hidden 1000,1000 --batch 32 --epochs 2 [--dtype float32]

Needs only torch. Not run in CI.
"""

import argparse
import json
import math
import sys
import time

import torch
from torch import nn


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", default="256,256")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--activation", default="Relu", choices=["Relu", "Tanh"])
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--samples", type=int, default=8000)
    p.add_argument("--features", type=int, default=784)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    a = p.parse_args()

    torch.set_num_threads(1)
    # The first optimizer lazily imports torch._dynamo (seconds): part of importing torch, done
    # before any clock starts.
    torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=a.lr)
    dtype = getattr(torch, a.dtype)
    gen = torch.Generator().manual_seed(7)

    # neuragent's Blobs: centres uniform in [-5, 5], sample i of class i mod classes, unit noise;
    # features standardized on the training samples.
    centres = torch.rand(a.classes, a.features, generator=gen, dtype=dtype) * 10.0 - 5.0
    y = torch.arange(a.samples) % a.classes
    x = centres[y] + torch.randn(a.samples, a.features, generator=gen, dtype=dtype)
    x = ((x - x.mean(dim=0)) / x.std(dim=0, unbiased=False)).contiguous()

    widths = [a.features] + [int(h) for h in a.hidden.split(",")] + [a.classes]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ReLU() if a.activation == "Relu" else nn.Tanh())
    model = nn.Sequential(*layers).to(dtype)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Linear):
                limit = math.sqrt(3.0 / layer.in_features)
                layer.weight.uniform_(-limit, limit, generator=gen)
                layer.bias.zero_()
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.0)

    for epoch in range(a.epochs):
        wall, cpu = time.perf_counter(), time.process_time()
        order = torch.randperm(a.samples, generator=gen)
        total = 0.0
        for start in range(0, a.samples, a.batch):
            idx = order[start : start + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            json.dumps(
                {
                    "engine": f"pytorch-{a.dtype}",
                    "network": "-".join(map(str, widths)),
                    "activation": a.activation,
                    "batch": a.batch,
                    "epoch": epoch,
                    "seconds": round(wall, 4),
                    "cpu_seconds": round(cpu, 4),
                    "samples_per_second": round(a.samples / wall),
                    "train_loss": round(total / a.samples, 6),
                    "threads": torch.get_num_threads(),
                    "torch": torch.__version__,
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
