#!/usr/bin/env python3
"""Writes data/sines/sines.csv: the recurrent benchmarks' series, two sines plus noise.

Usage: python3 tools/sines_series.py [OUTPUT_CSV] [--rows 20000]   (standard library only)

The LSTM and GRU workloads of `make bench` (specs/bench/lstm.json, specs/bench/gru.json,
bench/peers.py lstm|gru) train on windows of 60 steps of this one feature. Row t:
  value = sin(2 pi t / 50) + 0.5 sin(2 pi t / 23) + 0.1 e_t,   e_t ~ N(0, 1)
with e_t from Python's random.Random(42).gauss, so every run writes the same bytes
(values as 6-decimal text). One column, header `value`. Written atomically
(temporary file, then rename); not committed: `make data-sines` (and bench.py) run it.
"""
import argparse
import math
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", nargs="?", default=os.path.join(ROOT, "data/sines/sines.csv"))
    ap.add_argument("--rows", type=int, default=20000)
    args = ap.parse_args()
    out, rows = args.output, args.rows
    os.makedirs(os.path.dirname(out), exist_ok=True)
    rng = random.Random(42)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("value\n")
        for t in range(rows):
            v = math.sin(2 * math.pi * t / 50) + 0.5 * math.sin(2 * math.pi * t / 23) + 0.1 * rng.gauss(0, 1)
            f.write(f"{v:.6f}\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
