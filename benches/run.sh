#!/usr/bin/env bash
# Runs the benchmarks recorded in BENCHMARKS.md (not tests: nothing asserts).
#   benches/run.sh [WORKDIR]      (default /tmp/anumati-bench; needs ~9 GB free for the 100k bank)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p anumati >/dev/null
A="$PWD/target/release/anumati"
W="${1:-/tmp/anumati-bench}"
rm -rf "$W" && mkdir -p "$W"

echo "== simulate 10,000 customers x 12 months (3 runs)"
for i in 1 2 3; do
  rm -rf "$W/s10k"
  "$A" simulate --customers 10000 --months 12 --seed 7 --end 2026-10-31 --data "$W/s10k" --json
done

echo "== simulate 100,000 customers x 12 months"
"$A" simulate --customers 100000 --months 12 --seed 7 --end 2026-10-31 --data "$W/s100k" --json
du -sh "$W/s100k/bank"

echo "== chat turns through the HTTP chat API, 100k-customer bank (1,000 users, 32 in flight)"
"$A" bench chat --data "$W/s100k" --users 1000 --requests 20000 --concurrency 32

echo "== one FI data request end to end (2,000 sequential)"
"$A" bench fi --data "$W/s10k" --requests 2000

echo "== audit verify over 1,000,000 log entries"
"$A" bench audit --data "$W/s10k" --entries 1000000 --per-head 1000
"$A" audit verify --data "$W/s10k"

echo "== statement parsing, 1,000,000 generated entries per format, 5 runs each (CPU seconds: user + system)"
cargo build --release -p anumati-formats --example camt_throughput --example mt940_throughput >/dev/null
E="${CARGO_TARGET_DIR:-$PWD/target}/release/examples"
"$E/camt_throughput" 1000000 "$W/1m.camt053.xml" >/dev/null
"$E/mt940_throughput" 1000000 "$W/1m.sta" >/dev/null
for i in 1 2 3 4 5; do
  "$E/camt_throughput" 1000000 "$W/1m.camt053.xml" --parse-only | grep "per CPU second"
  "$E/mt940_throughput" 1000000 "$W/1m.sta" --parse-only | grep "per CPU second"
done
echo "== anumati statement parse --json over the same files (streamed; peak RSS in KB)"
for f in "$W/1m.camt053.xml" "$W/1m.sta"; do
  /usr/bin/time -f "%U+%S CPU s, %e s wall, %M KB" "$A" statement parse "$f" --json >/dev/null
done

echo "== statement parsing against mt-940, pycamt and ofxtools (200,000 entries per format; first run needs PyPI for its virtualenv)"
benches/compare/run.sh 200000 "$W/compare"

echo "== fraud: the handbook's simulation, scoring on one core, the handbook protocol (5 seeds, scoring 5 runs each)"
SEEDS=1,2,3,4,5 RUNS=5 cargo bench -p anumati-fraud --bench fraud
for i in 1 2 3; do
  rm -rf "$W/fraud-hb"
  "$A" simulate --profile handbook --seed 1 --data "$W/fraud-hb"
  "$A" fraud eval --data "$W/fraud-hb" --json
done

echo "== intent classifier: Banking77's official test split, trained on the whole training split (3 evals, one thread, one query at a time)"
"$A" nlu train --data data/banking77/train.csv --out "$W/b77.bin"
for i in 1 2 3; do
  "$A" nlu eval --model "$W/b77.bin" --test data/banking77/test.csv --json \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: d[k] for k in ("examples","accuracy","macro_f1","p50_us","p99_us")})'
done
