#!/usr/bin/env python3
"""The feedback-alignment condition of docs/convergence.md, read from a sweep of alignment.sweep.ron:
for each grid point, on how many seeds the alignment of every layer is positive at every epoch after a
warm-up of two (what tests/integration/convergence.rs asks), and on how many every layer is already
positive after the first epoch. Usage: python3 docs/convergence/alignment.py SWEEP_DIR > per-layer.csv
"""
import csv
import os
import sys
from collections import defaultdict

WARM_UP = 2  # epochs; row 0 of metrics.csv is the untrained network, row e closes epoch e


def positive(row, columns):
    return all(row[c] != "" and float(row[c]) > 0 for c in columns)


def main(sweep):
    points = defaultdict(lambda: [0, 0, 0, float("inf")])
    for run in csv.DictReader(open(os.path.join(sweep, "results.csv"))):
        rows = list(csv.DictReader(open(os.path.join(sweep, "runs", run["run"], "metrics.csv"))))
        columns = [c for c in rows[0] if c.startswith("alignment_")]
        p = points[(run["learning.optimizer"], run["network.hidden"])]
        p[0] += 1
        p[1] += all(positive(r, columns) for r in rows[WARM_UP + 1:])
        p[2] += positive(rows[1], columns)
        p[3] = min([p[3]] + [float(r[c]) for r in rows[WARM_UP + 1:] for c in columns if r[c]])
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["learning.optimizer", "network.hidden", "seeds", "aligned_after_warm_up",
                  "aligned_after_epoch_1", "worst_alignment_after_warm_up"])
    for (optimizer, hidden), (n, after, first, worst) in points.items():
        out.writerow([optimizer, hidden, n, after, first, f"{worst:.4f}"])


if __name__ == "__main__":
    main(sys.argv[1])
