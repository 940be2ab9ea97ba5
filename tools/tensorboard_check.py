#!/usr/bin/env python3
"""Reads a run folder's TensorBoard event files with the tensorboard package, as TensorBoard does.

Usage: tensorboard_check.py RUN_FOLDER

Checks each record's masked CRC-32C with tensorboard's own reader (which raises on a
mismatch) and again independently here, then loads the folder's train and validation logs
with EventAccumulator (the loader `tensorboard --logdir` uses) and prints one JSON document:
{"train": {"scalars": {tag: [[step, value], ...]}, "histograms": {tag: [[step, num, min,
max, count_sum], ...]}, "records": n}, "validation": {...}}.
Needs the tensorboard package (make test-env: .venv-test).
"""
import json
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c


def records(path):
    """The records of an event file, each CRC checked; raises on any damage."""
    data = open(path, "rb").read()
    at, n = 0, 0
    while at < len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        body = data[at + 12:at + 12 + length]
        (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if masked_crc32c(header) != header_crc or masked_crc32c(body) != body_crc or len(body) != length:
            raise SystemExit(f"{path}: record {n} at byte {at} fails its CRC")
        at += 16 + length
        n += 1
    return n


def main():
    run = sys.argv[1]
    out = {}
    for part in ["train", "validation"]:
        folder = os.path.join(run, "tensorboard", part)
        if not os.path.isdir(folder):
            continue
        files = [f for f in os.listdir(folder) if "tfevents" in f]
        count = sum(records(os.path.join(folder, f)) for f in files)
        acc = event_accumulator.EventAccumulator(folder, size_guidance={"scalars": 0, "histograms": 0})
        acc.Reload()
        tags = acc.Tags()
        scalars = {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]}
        histograms = {
            t: [[e.step, e.histogram_value.num, e.histogram_value.min, e.histogram_value.max,
                 sum(e.histogram_value.bucket)] for e in acc.Histograms(t)]
            for t in tags["histograms"]
        }
        out[part] = {"scalars": scalars, "histograms": histograms, "records": count, "files": files}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
