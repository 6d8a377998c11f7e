#!/usr/bin/env bash
# Prints the communication table of docs/faults.md: attention messages sent (and suppressed) and the
# final test R² of scenarios/sensors-communication.ron under each send policy, and under exact
# attention. Usage: bash docs/communication-table.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/neuragent
scenario=scenarios/sensors-communication.ron
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# First number after `"key": {` (a message block) or after `"key":` (a scalar), top level first.
block_field() { grep -A6 "^    \"$2\": {" "$1" | grep -m1 "\"$3\"" | sed 's/[^0-9]//g'; }
scalar() { grep -m1 "\"$2\":" "$1" | sed 's/.*: //; s/,$//'; }

echo "| rule | attention messages sent | suppressed | final test R² |"
echo "|---|---:|---:|---:|"
for rule in \
    "EstimatedAttention(estimator: LastValue, send: Always)" \
    "EstimatedAttention(estimator: LastValue, send: EveryK(4))" \
    "EstimatedAttention(estimator: LastValue, send: Threshold(0.01))" \
    "EstimatedAttention(estimator: LastValue, send: Threshold(0.1))" \
    "Attention"; do
    sed "s|rule: EstimatedAttention([^)]*))|rule: $rule|" "$scenario" > "$tmp/s.ron"
    grep -qF "rule: $rule" "$tmp/s.ron" || { echo "could not set the rule in $scenario" >&2; exit 2; }
    status=0
    "$bin" run "$tmp/s.ron" --out "$tmp/out" --force > /dev/null || status=$?
    [ "$status" -le 1 ] || exit "$status"
    summary="$tmp/out/summary.json"
    printf '| `%s` | %s | %s | %.4f |\n' "$rule" \
        "$(block_field "$summary" attention sent)" \
        "$(block_field "$summary" attention suppressed)" \
        "$(scalar "$summary" final_test_r2)"
done
