#!/usr/bin/env bash
# Lays the seed corpora under fuzz/corpus/TARGET from the repository's own
# fixtures (copied, not committed: fuzz/corpus is git-ignored). Safe to run
# again: it only adds files. Run from anywhere.
set -euo pipefail
fuzz="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$fuzz/.." && pwd)"
corpus="$fuzz/corpus"
fixtures="$root/crates/formats/tests/fixtures"

mkdir -p "$corpus"/{statement,ofx,csv_statement,nlu_csv,nlu_model,entities,webhooks}

cp "$fixtures"/* "$corpus/statement/"
cp "$fixtures"/*.ofx "$fixtures"/*.qfx "$corpus/ofx/"
cp "$fixtures"/csv_*.csv "$corpus/csv_statement/"
cp "$root"/crates/channels/tests/fixtures/*.json "$corpus/webhooks/"

# nlu_csv: the header and slices of 20 records of each utterance file
# (small seeds mutate far better than whole files).
for f in "$root"/data/utterances/*.csv; do
    name="$(basename "$f" .csv)"
    header="$(head -n 1 "$f")"
    head -n 101 "$f" | tail -n +2 | split -l 20 -d - "$corpus/nlu_csv/$name-"
    for part in "$corpus/nlu_csv/$name"-??; do
        { printf '%s\n' "$header"; cat "$part"; } > "$part.csv" && rm "$part"
    done
done

# nlu_model and entities: generated (trained models, one utterance a file).
cargo run --quiet --release --manifest-path "$fuzz/Cargo.toml" --example make_seeds -- "$corpus"

for t in "$corpus"/*/; do
    printf '%-16s %5d files\n' "$(basename "$t")" "$(find "$t" -type f | wc -l)"
done
