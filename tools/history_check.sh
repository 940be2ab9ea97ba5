#!/usr/bin/env bash
# Trains every example spec for a few epochs and prints a digest of each history.csv
# without its timing column, so a refactoring can show that training is bit-identical:
#   tools/history_check.sh > before.txt; ...change...; tools/history_check.sh > after.txt; diff before.txt after.txt
# Usage: tools/history_check.sh [NNREG_BINARY]   (default .build/release/nnreg)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/nnreg}
# The experiments' subsets (train-5k.csv, train-1k/).
bash tools/fashion_mnist_subsets.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for spec in specs/*.json specs/*/*.json; do
  grep -q '"parameters"' "$spec" && continue  # a sweep file, not a spec
  case "$spec" in
    specs/tiny.json|specs/co2-lstm.json) epochs=() ;;  # small: their full length
    *) epochs=(--epochs 2) ;;
  esac
  name=$(echo "$spec" | tr '/' '_')
  if "$bin" train "$spec" "${epochs[@]}" --output "$out/$name" --quiet >/dev/null 2>"$out/$name.err"; then
    # Every history.csv of the run (an ensemble has one per member), without the "seconds"
    # column: wall time is the one value that may differ.
    files=$(find "$out/$name" -name history.csv | sort)
    digest=$(for f in $files; do
      awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="seconds") s=i} {line=""; for(i=1;i<=NF;i++) if(i!=s) line=line $i ","; print line}' "$f"
    done | sha256sum | cut -c1-16)
    echo "$spec $digest $(cat $files | wc -l)"
  else
    echo "$spec FAILED: $(tail -1 "$out/$name.err")"
  fi
done
