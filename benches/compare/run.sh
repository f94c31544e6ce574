#!/usr/bin/env bash
# anumati's statement parsers against the Python libraries people use today
# (versions pinned in requirements.txt): mt-940 for MT940, pycamt for
# camt.053, ofxtools for OFX. Not a test: nothing asserts speed, but it
# fails if the two sides disagree on a file's entries.
#
#   benches/compare/run.sh [N] [WORKDIR]    (default 200000 entries per format, /tmp/anumati-bench/compare)
#
# OFXPARSE=1 adds ofxparse (BeautifulSoup) on the OFX file: its time grows
# with the square of the entries (10,000 took 13 s here, 50,000 250 s), so
# give it a small N.
#
# Sets up its own virtualenv under ${XDG_CACHE_HOME:-~/.cache}/anumati-bench
# (python3 >= 3.10, or $PYTHON; PyPI reachable the first time), writes the
# same N entries (statements of PER_STATEMENT entries, default 1,000) as
# MT940, camt.053.001.08 and OFX 1.02 with the `statement_compare` example,
# then parses each file RUNS times (default 3) on each side, alternating, in a
# fresh process each time. Timed: reading plus parsing the file inside the
# process (not interpreter start-up or imports). Printed: the median seconds
# of each side and their ratio. pycamt searches the whole statement for every
# entry, so its time per entry grows with PER_STATEMENT (ratio ~68x at 1,000,
# ~39x at 100 on our machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-200000}"
W="${2:-/tmp/anumati-bench/compare}"
RUNS="${RUNS:-3}"
PER_STATEMENT="${PER_STATEMENT:-1000}"
PYTHON="${PYTHON:-python3}"
REQ=benches/compare/requirements.txt

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/anumati-bench"
VENV="$CACHE/venv-$(cat "$REQ" | sha256sum | cut -c1-12)"
if [ ! -e "$VENV/.installed" ]; then
  echo "== virtualenv $VENV (pip install -r $REQ)"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
  touch "$VENV/.installed"
fi
PY="$VENV/bin/python"

cargo build --release -p anumati-formats --example statement_compare >/dev/null
RS="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/statement_compare"

mkdir -p "$W"
RESULTS="$W/results.jsonl"
: >"$RESULTS"
echo "== $N entries per format in statements of $PER_STATEMENT, $RUNS runs each side; $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
FORMATS="mt940 camt053 ofx"
[ "${OFXPARSE:-0}" = 1 ] && FORMATS="$FORMATS ofxparse"
for fmt in $FORMATS; do
  # ofxparse reads the OFX file; anumati parses it as OFX.
  rsfmt="${fmt/ofxparse/ofx}"
  file="$W/$N-$PER_STATEMENT.$rsfmt"
  [ -e "$file" ] && [ "$fmt" = ofxparse ] || "$RS" gen "$rsfmt" "$N" "$file" "$PER_STATEMENT"
  for run in $(seq "$RUNS"); do
    for side in python anumati; do
      if [ "$side" = python ]; then
        out=$("$PY" benches/compare/parse.py "$fmt" "$file")
      else
        out=$("$RS" parse "$rsfmt" "$file")
      fi
      echo "$fmt run $run $side: $out"
      echo "{\"format\": \"$fmt\", \"side\": \"$side\", \"bytes\": $(stat -c %s "$file"), \"result\": $out}" >>"$RESULTS"
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$RESULTS" "$N" <<'PY'
import json, statistics, sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1])]
n = int(sys.argv[2])
libs = {"mt940": "mt-940 5.1.1", "camt053": "pycamt 1.1.1", "ofx": "ofxtools 1.1.1", "ofxparse": "ofxparse 0.21"}
names = {"mt940": "MT940", "camt053": "camt.053.001.08", "ofx": "OFX 1.02 (SGML)", "ofxparse": "OFX 1.02 (SGML)"}
by = defaultdict(list)
for r in rows:
    by[r["format"], r["side"]].append(r)
bad = False
print()
print("| format | file | entries | Python | Python s | anumati s | ratio |")
print("|---|---|---|---|---|---|---|")
for fmt in libs:
    if not by[fmt, "python"]:
        continue
    results = [r["result"] for side in ("python", "anumati") for r in by[fmt, side]]
    want = {k: results[0][k] for k in ("entries", "sum", "spot")}
    for r in results:
        got = {k: r[k] for k in ("entries", "sum", "spot")}
        if got != want or got["entries"] != n:
            bad = True
            print(f"MISMATCH {fmt}: {got} vs {want} (expected {n} entries)", file=sys.stderr)
    py = statistics.median(r["result"]["seconds"] for r in by[fmt, "python"])
    rs = statistics.median(r["result"]["seconds"] for r in by[fmt, "anumati"])
    mib = by[fmt, "python"][0]["bytes"] / 1048576
    print(f"| {names[fmt]} | {mib:.0f} MiB | {n:,} | {libs[fmt]} | {py:.3f} | {rs:.4f} | {py / rs:.0f}× |")
print()
print("entries, sum of amounts and first/middle/last amounts agree on both sides" if not bad else "SIDES DISAGREE")
sys.exit(1 if bad else 0)
PY
