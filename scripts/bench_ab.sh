#!/usr/bin/env bash
# Alternating runs of make bench's submissions part (c) in two or more checkouts of this project,
# one after the other, N rounds: the machine's speed drifts from hour to hour, a pair measured
# together is what compares two commits (docs/performance.md).
#   git worktree add ../kit-before <commit> && ln -s "$PWD/.venv" ../kit-before/.venv
#   scripts/bench_ab.sh 2 ../kit-before .
# Prints per run: the checkout, the load average before it, the warm-up line, submissions/s and
# the workers' CPU per submission (user, system). BENCH_SUBMIT_COUNT (3000) and the other BENCH_*
# knobs pass through. Use the same scripts/bench.sh and bench/submit.py in every checkout.
set -euo pipefail
rounds="$1"; shift
for _ in $(seq 1 "$rounds"); do
  for dir in "$@"; do
    out=$(cd "$dir" && BENCH_SKIP_API=1 BENCH_SKIP_NUMBERING=1 BENCH_SUPPORT=0 \
      BENCH_SUBMIT_COUNT="${BENCH_SUBMIT_COUNT:-3000}" scripts/bench.sh 2>&1 \
      | grep -E "warm-up|submissions  |worker CPU" \
      | sed -E 's/.*: +([0-9.]+) \/s.*/\1\/s/; s/.*= ([0-9.]+) ms per submission \(user ([0-9.]+), system ([0-9.]+)\).*/\1 ms (user \2, system \3)/; s/ +warm-up +: /warm-up: /' \
      | tr '\n' ' ')
    echo "$(cd "$dir" && git rev-parse --short HEAD) load=$(cut -d' ' -f1 /proc/loadavg) $out"
  done
done
