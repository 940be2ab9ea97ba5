"""Checks an ONNX model written by `nnreg export` and runs it on given inputs.

Usage: onnx_check.py MODEL.onnx INPUTS.csv
INPUTS.csv: one sample per line, its raw values as comma-separated numbers, no header
(reshaped to the model's input shape without the batch axis).
Prints one JSON object: {"output": name, "values": [[...], ...], "metadata": {...},
"opset": n, "nodes": [op types]} with each row's output flattened.
Runs onnx.checker.check_model(full_check=True) first; a failing check exits non-zero.
Needs onnx, onnxruntime and numpy (make test-env: .venv-test).
"""

import json
import sys

import numpy as np
import onnx
import onnxruntime


def main():
    model_path, inputs_path = sys.argv[1], sys.argv[2]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    shape = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim[1:]]
    rows = np.loadtxt(inputs_path, delimiter=",", dtype=np.float32, ndmin=2)
    x = rows.reshape([rows.shape[0]] + shape)
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    output = session.get_outputs()[0].name
    (y,) = session.run([output], {graph.input[0].name: x})
    print(json.dumps({
        "output": output,
        "values": y.reshape(y.shape[0], -1).astype(float).tolist(),
        "metadata": {p.key: p.value for p in model.metadata_props},
        "opset": model.opset_import[0].version,
        "nodes": [n.op_type for n in graph.node],
    }))


if __name__ == "__main__":
    main()
