#!/usr/bin/env bash
# Side-by-side wall time: `neuragent run scenarios/digits.ron` (every message simulated) against
# PyTorch training the same 64-32-10 tanh/softmax network on the same data for the same 15 epochs
# (CPU, one thread, float64, batch size 1, SGD lr 0.02; benches/pytorch_digits.py).
#
# Each side runs RUNS times (default 5), alternating, and the table shows medians of:
#   - process wall: the whole process from exec to exit, measured here. For neuragent that is the
#     complete `neuragent run` (loading, training, evaluation, writing the run folder); for PyTorch it
#     includes starting Python and importing torch (seconds), so it is not the fair figure for PyTorch;
#   - process CPU: user + system seconds of that process (bash's `time`), less sensitive than wall
#     time to other work on the machine;
#   - in-job wall: neuragent's `wall_seconds` from summary.json (training and evaluation) and the
#     script's `wall_seconds` (loading, training and evaluation, torch import excluded); PyTorch's
#     training loop alone (`train_seconds`) is shown too.
# Per-run values follow the table.
# The headline ratio is neuragent's process wall over PyTorch's in-job wall: the whole neuragent
# process must be faster than PyTorch's job without its import.
#
# PyTorch is not a dependency of the crate and this is not run in CI. Install it once, e.g.
#   python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
# and run
#   PYTHON=/tmp/torchenv/bin/python RUNS=5 bash benches/compare_pytorch.sh
# Timings are noisy on a busy or small machine: watch the load average printed with the table.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS="${RUNS:-5}"
PYTHON="${PYTHON:-python3}"
SCENARIO="scenarios/digits.ron"

if ! [[ "$RUNS" =~ ^[1-9][0-9]*$ ]]; then
    echo "RUNS must be a positive integer, got '$RUNS'" >&2
    exit 2
fi
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
    echo "'$PYTHON' cannot import torch; install it with 'pip install torch' and set PYTHON" >&2
    exit 2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/neuragent-vs-pytorch.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT
trap 'exit 130' INT TERM

cargo build --release --quiet
bin="target/release/neuragent"

# bash's `time` keyword: the child's wall seconds, then its CPU seconds (user + system).
TIMEFORMAT='%3R %3U %3S'
times_of() { read -r real user sys <"$1" && "$PYTHON" -c 'import sys; r, u, s = map(float, sys.argv[1:]); print(f"{r}\t{u + s:.3f}")' "$real" "$user" "$sys"; }
json_field() { "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

: >"$tmp/neuragent.tsv"
: >"$tmp/pytorch.tsv"
for i in $(seq 1 "$RUNS"); do
    out="$tmp/run-$i"
    rc=0
    { time "$bin" run "$SCENARIO" --out "$out" --force >"$tmp/neuragent-$i.log" 2>&1 || rc=$?; } 2>"$tmp/time"
    if [[ ! -f "$out/summary.json" ]]; then
        echo "neuragent run $i failed (exit $rc):" >&2
        cat "$tmp/neuragent-$i.log" >&2
        exit 1
    fi
    [[ $rc -eq 0 ]] || echo "note: neuragent run $i exited $rc (an expectation failed)" >&2
    printf '%s\t%s\t%s\n' "$(times_of "$tmp/time")" \
        "$(json_field "$out/summary.json" wall_seconds)" \
        "$(json_field "$out/summary.json" final_test_accuracy)" >>"$tmp/neuragent.tsv"

    rc=0
    { time "$PYTHON" -W ignore benches/pytorch_digits.py >"$tmp/pytorch-$i.json" 2>"$tmp/pytorch-$i.err" || rc=$?; } 2>"$tmp/time"
    if [[ $rc -ne 0 ]]; then
        echo "PyTorch run $i failed (exit $rc):" >&2
        cat "$tmp/pytorch-$i.err" >&2
        exit 1
    fi
    printf '%s\t%s\n' "$(times_of "$tmp/time")" "$(tail -n 1 "$tmp/pytorch-$i.json")" >>"$tmp/pytorch.tsv"
done

"$PYTHON" - "$tmp/neuragent.tsv" "$tmp/pytorch.tsv" "$RUNS" <<'EOF'
import json, os, statistics as st, sys

na = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
pt = [line.split("\t", 2) for line in open(sys.argv[2]).read().splitlines()]
na_proc = [float(r[0]) for r in na]
na_cpu = [float(r[1]) for r in na]
na_job = [float(r[2]) for r in na]
na_acc = [float(r[3]) for r in na]
pt_proc = [float(r[0]) for r in pt]
pt_cpu = [float(r[1]) for r in pt]
pt_json = [json.loads(r[2]) for r in pt]
pt_job = [j["wall_seconds"] for j in pt_json]
pt_train = [j["train_seconds"] for j in pt_json]
pt_acc = [j["test_accuracy"] for j in pt_json]
m = st.median
fmt = lambda xs: " ".join(f"{x:.2f}" for x in xs)

print(f"\nRUNS={sys.argv[3]}, torch {pt_json[0]['torch']} ({pt_json[0]['threads']} thread), "
      f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
print("| | neuragent | PyTorch | neuragent / PyTorch |")
print("|---|---:|---:|---:|")
print(f"| process wall, median s | {m(na_proc):.2f} | {m(pt_proc):.2f} | {m(na_proc) / m(pt_proc):.2f} |")
print(f"| process CPU (user + sys), median s | {m(na_cpu):.2f} | {m(pt_cpu):.2f} | {m(na_cpu) / m(pt_cpu):.2f} |")
print(f"| in-job wall, median s (summary.json / script) | {m(na_job):.2f} | {m(pt_job):.2f} | {m(na_job) / m(pt_job):.2f} |")
print(f"| PyTorch training loop only, median s | | {m(pt_train):.2f} | |")
print(f"| **neuragent process vs PyTorch job** | {m(na_proc):.2f} | {m(pt_job):.2f} | **{m(na_proc) / m(pt_job):.2f}** |")
print(f"| test accuracy, median | {m(na_acc):.4f} | {m(pt_acc):.4f} | |")
print(f"\nper run (s): neuragent process [{fmt(na_proc)}], neuragent job [{fmt(na_job)}], "
      f"PyTorch process [{fmt(pt_proc)}], PyTorch job [{fmt(pt_job)}]")
EOF
