#!/usr/bin/env bash
# Side-by-side epoch times: neuragent's dense trainer (`cargo bench --bench dense_epoch`) against
# PyTorch (benches/pytorch_dense.py) on the same job: an MLP 784-<hidden>-10, ReLU hidden layers,
# softmax + cross-entropy, SGD, batch 32, one epoch over 8,000 generated samples of 784 features and
# 10 classes (each side generates its own Gaussian blobs of that shape), float64, one thread. PyTorch
# at float32 is measured too, for context.
#
# Networks: 784-256-256-10 and 784-1000-1000-10 (override with NETWORKS="256,256 1000,1000");
# ACTIVATION=Tanh for tanh hidden layers (neuragent's tanh is the portable libm one, PyTorch's is
# vectorized).
# Each side runs RUNS times (default 3), alternating, each run EPOCHS epochs (default 2); the table
# shows, per network, the median over all epochs of
#   - wall seconds of the training loop of one epoch (neither side counts data generation, setup or
#     Python's imports), and the ratio neuragent / PyTorch float64: the target is <= 1.0;
#   - CPU seconds of the same span (Linux), less sensitive to other work on a shared machine.
#
# PyTorch is not a dependency of the crate and this is not run in CI. Install it once, e.g.
#   python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
# and run
#   PYTHON=/tmp/torchenv/bin/python RUNS=3 bash benches/compare_dense_pytorch.sh
# Timings are noisy on a busy or small machine: watch the load average printed with the table.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS="${RUNS:-3}"
EPOCHS="${EPOCHS:-2}"
BATCH="${BATCH:-32}"
NETWORKS="${NETWORKS:-256,256 1000,1000}"
ACTIVATION="${ACTIVATION:-Relu}"
PYTHON="${PYTHON:-python3}"

for v in RUNS EPOCHS BATCH; do
    if ! [[ "${!v}" =~ ^[1-9][0-9]*$ ]]; then
        echo "$v must be a positive integer, got '${!v}'" >&2
        exit 2
    fi
done
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
    echo "'$PYTHON' cannot import torch; install it with 'pip install torch' and set PYTHON" >&2
    exit 2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/neuragent-dense-vs-pytorch.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT
trap 'exit 130' INT TERM

bin="$(cargo bench --bench dense_epoch --no-run --message-format=json 2>/dev/null |
    "$PYTHON" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "dense_epoch" and m.get("executable"):
        print(m["executable"])')"
if [[ -z "$bin" ]]; then
    echo "could not build the dense_epoch bench" >&2
    exit 1
fi

: >"$tmp/results.jsonl"
for hidden in $NETWORKS; do
    for i in $(seq 1 "$RUNS"); do
        "$bin" --hidden "$hidden" --batch "$BATCH" --epochs "$EPOCHS" --activation "$ACTIVATION" \
            >>"$tmp/results.jsonl"
        for dtype in float64 float32; do
            "$PYTHON" -W ignore benches/pytorch_dense.py --hidden "$hidden" --batch "$BATCH" \
                --epochs "$EPOCHS" --activation "$ACTIVATION" --dtype "$dtype" >>"$tmp/results.jsonl"
        done
    done
done

"$PYTHON" - "$tmp/results.jsonl" "$RUNS" "$EPOCHS" "$BATCH" "$ACTIVATION" <<'EOF_PY'
import json, os, statistics as st, sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
runs, epochs, batch, activation = sys.argv[2:6]
wall, cpu, loss = defaultdict(list), defaultdict(list), defaultdict(list)
torch_version = next((r["torch"] for r in rows if "torch" in r), "?")
for r in rows:
    key = (r["network"], r["engine"])
    wall[key].append(r["seconds"])
    if r.get("cpu_seconds") is not None:
        cpu[key].append(r["cpu_seconds"])
    loss[key].append(r["train_loss"])
m = lambda xs: st.median(xs) if xs else float("nan")
print(f"\nRUNS={runs} x EPOCHS={epochs}, batch {batch}, {activation}, float64 unless noted, 1 thread, torch {torch_version}, "
      f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
print("| network | neuragent s/epoch | PyTorch f64 s/epoch | **ratio** | CPU s: neuragent / PyTorch f64 (ratio) | PyTorch f32 s/epoch |")
print("|---|---:|---:|---:|---:|---:|")
for network in dict.fromkeys(r["network"] for r in rows):
    na, pt, p32 = (network, "neuragent"), (network, "pytorch-float64"), (network, "pytorch-float32")
    print(f"| {network} | {m(wall[na]):.3f} | {m(wall[pt]):.3f} | **{m(wall[na]) / m(wall[pt]):.2f}** | "
          f"{m(cpu[na]):.3f} / {m(cpu[pt]):.3f} ({m(cpu[na]) / m(cpu[pt]):.2f}) | {m(wall[p32]):.3f} |")
print("\nper epoch (wall s):")
for (network, engine), xs in wall.items():
    print(f"  {network} {engine}: {' '.join(f'{x:.3f}' for x in xs)}; last train loss {loss[(network, engine)][-1]:.4f}")
EOF_PY
