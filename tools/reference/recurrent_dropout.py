"""Training-mode references for nnreg's recurrent layers (gru, lstm, simple_rnn), from Keras 3.

Run from the repository root, after `make refs-env`:

    .venv/bin/python tools/reference/recurrent_dropout.py

Produced with keras 3.15.1 on the tensorflow 2.21.0 backend (CPU, float32); the
versions actually used are recorded in the output. Writes
Tests/NNRegTests/Fixtures/recurrent_dropout.json, which RecurrentDropoutTests.swift reads.

Unlike tools/reference/recurrent.py, every case goes through the layer's own
`__call__` (layer(x, training=True)) inside a tf.GradientTape, the path model.fit takes:
RNN.call draws the masks (_maybe_config_dropout_masks), GRU/LSTM.inner_loop tries the
backend's cuDNN kernel (backend.gru / backend.lstm), which raises NotImplementedError
on a machine without a GPU, and falls back to RNN.inner_loop, the cell called once per
step. The script records, per case:

- the masks Keras drew, snapshotted just before RNN.call resets them
  (_maybe_reset_dropout_masks): `input_masks` and `recurrent_masks`, each a list of one
  (N, F) or (N, units) mask per gate (implementation 1) or a single shared mask;
- `path`: whether the cuDNN kernel was tried and whether it ran, the cell's
  `implementation`, how many times the cell ran, how many distinct input and recurrent
  mask objects the steps used (1: the same masks at every step), and how many masks
  were drawn in all;
- y, and for the loss L = sum(y * dy) with a fixed dy, the gradients dx, dkernel,
  drecurrent_kernel and dbias (Keras's layouts).

Cases: dropout only, recurrent_dropout only and both, for each kind, and GRU with
reset_after=False (inference, and training with both dropouts; its bias is (3*units)).
"""

import json
import os
import pathlib

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras.src import backend  # noqa: E402
from keras.src.layers.rnn import dropout_rnn_cell  # noqa: E402
from keras.src.layers.rnn.rnn import RNN  # noqa: E402

N, T, F, U = 2, 5, 3, 4
rng = np.random.default_rng(17)

# Instrumentation: what the call does, reset per case.
trace = {}


def _wrap_backend(name):
    original = getattr(backend, name)

    def wrapped(*args, **kwargs):
        trace["cudnn_tried"] = True
        try:
            out = original(*args, **kwargs)
        except NotImplementedError:
            trace["cudnn_ran"] = False
            raise
        trace["cudnn_ran"] = True
        return out

    setattr(backend, name, wrapped)


_wrap_backend("gru")
_wrap_backend("lstm")

_get_mask = dropout_rnn_cell.DropoutRNNCell.get_dropout_mask
_get_rec_mask = dropout_rnn_cell.DropoutRNNCell.get_recurrent_dropout_mask
_create = dropout_rnn_cell.DropoutRNNCell._create_dropout_mask
_reset = RNN._maybe_reset_dropout_masks


def get_mask(self, x):
    m = _get_mask(self, x)
    if m is not None and trace.get("in_step"):
        trace["input_mask_ids"].add(id(m))
    return m


def get_rec_mask(self, h):
    m = _get_rec_mask(self, h)
    if m is not None and trace.get("in_step"):
        trace["recurrent_mask_ids"].add(id(m))
    return m


def create(self, x, rate):
    m = _create(self, x, rate)
    trace["masks_drawn"] += len(m) if isinstance(m, list) else 1
    return m


def reset(self, cell):
    trace["input_masks"] = cell._dropout_mask
    trace["recurrent_masks"] = cell._recurrent_dropout_mask
    _reset(self, cell)


dropout_rnn_cell.DropoutRNNCell.get_dropout_mask = get_mask
dropout_rnn_cell.DropoutRNNCell.get_recurrent_dropout_mask = get_rec_mask
dropout_rnn_cell.DropoutRNNCell._create_dropout_mask = create
RNN._maybe_reset_dropout_masks = reset


def as_list(m):
    if m is None:
        return []
    if isinstance(m, (list, tuple)):
        return [np.asarray(v).ravel().tolist() for v in m]
    return [np.asarray(m).ravel().tolist()]


def flat(a):
    return np.asarray(a).ravel().tolist()


def case(name, kind, training=True, **kw):
    cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "simple_rnn": keras.layers.SimpleRNN}[kind]
    layer = cls(U, return_sequences=True, **kw)
    layer.build((N, T, F))
    weights = [(rng.normal(size=w.shape) * 0.5).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    x = tf.constant(rng.normal(size=(N, T, F)).astype("float32"))
    dy = tf.constant(rng.normal(size=(N, T, U)).astype("float32"))

    cell = layer.cell
    step = type(cell).call
    calls = [0]

    def counted(self, *args, **kwargs):
        calls[0] += 1
        trace["in_step"] = True
        try:
            return step(self, *args, **kwargs)
        finally:
            trace["in_step"] = False

    trace.clear()
    trace.update(cudnn_tried=False, cudnn_ran=False, input_mask_ids=set(), recurrent_mask_ids=set(), masks_drawn=0)
    type(cell).call = counted
    try:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            loss = tf.reduce_sum(y * dy)
        variables = [cell.kernel, cell.recurrent_kernel] + ([cell.bias] if cell.bias is not None else [])
        grads = tape.gradient(loss, [x] + variables)
    finally:
        type(cell).call = step

    return {
        "name": name, "kind": kind, "options": dict(kw, return_sequences=True), "training": training,
        "kernel": flat(weights[0]), "recurrent_kernel": flat(weights[1]),
        "bias": flat(weights[2]) if len(weights) > 2 else None,
        "x": flat(x), "dy": flat(dy), "y": flat(y),
        "input_masks": as_list(trace.get("input_masks")),
        "recurrent_masks": as_list(trace.get("recurrent_masks")),
        "dx": flat(grads[0]), "dkernel": flat(grads[1]), "drecurrent_kernel": flat(grads[2]),
        "dbias": flat(grads[3]) if len(grads) > 3 else None,
        "path": {
            "cudnn_tried": trace["cudnn_tried"], "cudnn_ran": trace["cudnn_ran"],
            "implementation": getattr(cell, "implementation", None), "cell_calls": calls[0],
            "distinct_input_masks_over_steps": len(trace["input_mask_ids"]),
            "distinct_recurrent_masks_over_steps": len(trace["recurrent_mask_ids"]),
            "masks_drawn": trace["masks_drawn"],
        },
    }


cases = []
for kind in ("gru", "simple_rnn", "lstm"):
    cases.append(case(f"{kind}_dropout", kind, dropout=0.4))
    cases.append(case(f"{kind}_recurrent_dropout", kind, recurrent_dropout=0.3))
    cases.append(case(f"{kind}_both", kind, dropout=0.4, recurrent_dropout=0.3))
cases += [
    case("gru_reset_before", "gru", training=False, reset_after=False),
    case("gru_reset_before_nobias", "gru", training=False, reset_after=False, use_bias=False),
    case("gru_reset_before_dropout", "gru", reset_after=False, dropout=0.4),
    case("gru_reset_before_both", "gru", reset_after=False, dropout=0.4, recurrent_dropout=0.3),
]

out = {"generator": "tools/reference/recurrent_dropout.py", "keras": keras.__version__, "tensorflow": tf.__version__,
       "gpus": len(tf.config.list_logical_devices("GPU")),
       "batch": N, "steps": T, "features": F, "units": U, "cases": cases}
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/NNRegTests/Fixtures/recurrent_dropout.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path, len(cases), "cases")
for c in cases:
    print(c["name"], c["path"], "masks", len(c["input_masks"]), len(c["recurrent_masks"]))
