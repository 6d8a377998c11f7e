#!/usr/bin/env python3
"""PyTorch reference for `neuragent run scenarios/digits.ron`: the same job, timed.

Mirrors scenarios/digits.ron: 8x8 digits (data/digits.csv), 20% test split, features standardized
on the training split (population std; constant features only centred), 64-32-10 with tanh hidden
and softmax output (cross-entropy on logits), float64, one CPU thread, SGD lr 0.02 without momentum,
batch size 1 (one optimizer step per sample), 15 epochs reshuffled each epoch, weights
U(±sqrt(3/fan_in)) and biases 0 (src/topology.rs). Like neuragent, the test split is evaluated on
the untrained network and then once after every epoch.

Prints one JSON line: wall_seconds (data loading, split, standardization, training and every
evaluation, measured with time.perf_counter; Python start-up and `import torch` excluded),
setup_seconds (loading, split, standardization, model), train_seconds (the training loop alone),
eval_seconds (the 16 evaluations), test_accuracy, samples,
seconds_per_sample (wall_seconds / samples), threads, torch.

Needs only torch (`pip install torch`; numpy is not used). Not run in CI; see compare_pytorch.sh.
"""

import csv
import json
import math
import os
import sys
import time

import torch
from torch import nn

SEED = 7
TEST_FRACTION = 0.2
HIDDEN = 32
LR = 0.02
EPOCHS = 15
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "digits.csv")


def load(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        label = header.index("label")
        xs, ys = [], []
        for row in reader:
            if not row:
                continue
            ys.append(int(row[label]))
            xs.append([float(v) for i, v in enumerate(row) if i != label])
    return torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.long)


def main():
    torch.set_num_threads(1)
    # Constructing the first optimizer lazily imports torch._dynamo (1-2 s on this machine). That is
    # part of importing torch, not of the job, so it happens here, before the clock starts.
    torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=LR)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)

    start = time.perf_counter()
    x, y = load(DATA)
    n = x.shape[0]

    # Seeded 80/20 split with torch's RNG. It is NOT the same split as neuragent's (which shuffles
    # with its own ChaCha split stream); only the sizes match: round(0.2 * 1797) = 359 test samples.
    test_len = max(1, min(n - 1, round(n * TEST_FRACTION)))
    perm = torch.randperm(n, generator=gen)
    test_idx, train_idx = perm[:test_len], perm[test_len:]
    x_train, y_train = x[train_idx], y[train_idx]
    x_test, y_test = x[test_idx], y[test_idx]

    # Standardize on the training split: population std; constant features are only centred.
    mean = x_train.mean(dim=0)
    std = x_train.std(dim=0, unbiased=False)
    constant = (x_train == x_train[0]).all(dim=0)
    mean = torch.where(constant, x_train[0], mean)
    std = torch.where(constant | (std == 0), torch.ones_like(std), std)
    x_train = ((x_train - mean) / std).contiguous()
    x_test = ((x_test - mean) / std).contiguous()

    model = nn.Sequential(nn.Linear(64, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, 10)).double()
    with torch.no_grad():
        for layer in (model[0], model[2]):
            limit = math.sqrt(3.0 / layer.in_features)
            layer.weight.uniform_(-limit, limit, generator=gen)
            layer.bias.zero_()
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.0)

    def evaluate():
        with torch.no_grad():
            logits = model(x_test)
            return (logits.argmax(dim=1) == y_test).double().mean().item(), loss_fn(logits, y_test).item()

    setup_seconds = time.perf_counter() - start
    accuracies = [evaluate()[0]]  # the untrained network, like neuragent's first checkpoint
    train_len = x_train.shape[0]
    train_seconds = 0.0
    samples = 0
    for _ in range(EPOCHS):
        t0 = time.perf_counter()
        order = torch.randperm(train_len, generator=gen).tolist()
        for i in order:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[i : i + 1]), y_train[i : i + 1])
            loss.backward()
            opt.step()
        samples += train_len
        train_seconds += time.perf_counter() - t0
        accuracies.append(evaluate()[0])
    accuracy, test_loss = evaluate()
    wall = time.perf_counter() - start

    print(
        json.dumps(
            {
                "wall_seconds": wall,
                "setup_seconds": setup_seconds,
                "train_seconds": train_seconds,
                "eval_seconds": wall - setup_seconds - train_seconds,
                "test_accuracy": accuracy,
                "test_loss": test_loss,
                "accuracy_per_epoch": accuracies,
                "samples": samples,
                "seconds_per_sample": wall / samples,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
