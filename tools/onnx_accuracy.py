#!/usr/bin/env python3
"""The accuracy of an exported classifier on a labelled CSV, run by ONNX Runtime.

Usage: onnx_accuracy.py MODEL.onnx DATA.csv [LABEL_COLUMN]
DATA.csv: a header, then one sample per row: its raw values (pixels 0-255 for an image
model, reshaped to the model's input shape) and the label column (default "label"), a
class id. The model bakes in its preprocessing, so raw values go in.
Prints {"samples": n, "accuracy": a}. Needs onnxruntime and numpy (make test-env: .venv-test).
"""

import json
import sys

import numpy as np
import onnxruntime


def main():
    model_path, data_path = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else "label"
    header = open(data_path).readline().strip().split(",")
    table = np.loadtxt(data_path, delimiter=",", dtype=np.float32, skiprows=1, ndmin=2)
    column = header.index(label)
    labels = table[:, column].astype(np.int64)
    x = np.delete(table, column, axis=1)
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    given = session.get_inputs()[0]
    x = x.reshape([x.shape[0]] + [int(d) for d in given.shape[1:]])
    correct = 0
    for start in range(0, len(x), 1000):
        (p,) = session.run(None, {given.name: x[start:start + 1000]})
        correct += int((p.argmax(axis=1) == labels[start:start + 1000]).sum())
    print(json.dumps({"samples": int(len(x)), "accuracy": correct / len(x)}))


if __name__ == "__main__":
    main()
