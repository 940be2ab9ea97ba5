#!/usr/bin/env bash
# The experiments' small training sets, built from `make data`'s files:
# - data/fashion-mnist/train-5k.csv: the header and the first 5,000 rows of train.csv;
# - data/fashion-mnist-png/train-1k/: the first 100 images (sorted names) of each class
#   folder of the training PNGs, hard-linked.
# Each is built beside its place and renamed into it, so an interruption leaves none half
# written; one that exists is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
csv=data/fashion-mnist/train-5k.csv
if [ ! -e "$csv" ]; then
  head -n 5001 data/fashion-mnist/train.csv > "$csv.tmp"
  mv "$csv.tmp" "$csv"
fi
png=data/fashion-mnist-png/train-1k
if [ ! -e "$png" ]; then
  tmp=$(mktemp -d data/fashion-mnist-png/.train-1k.XXXXXX)
  for class in data/fashion-mnist-png/train/*/; do
    name=$(basename "$class")
    mkdir "$tmp/$name"
    ls "$class" | LC_ALL=C sort | head -n 100 | while read -r file; do ln "$class$file" "$tmp/$name/$file"; done
  done
  mv "$tmp" "$png"
fi
