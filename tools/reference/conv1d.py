"""Reference outputs and gradients for nnreg's 1-D convolution and pooling layers, from Keras 3.

Run from the repository root (after `make refs-env`):

    .venv/bin/python tools/reference/conv1d.py

Produced with keras 3.15.1 on the tensorflow 2.21.0 backend (CPU, float32); the
versions actually used are recorded in the output. Writes
Tests/NNRegTests/Fixtures/conv1d.json, which Convolution1DTests.swift and
Pooling1DTests.swift read.

Every case is a Keras layer (channels last, inputs (batch, steps, features)) called on a
fixed input x drawn from a seeded numpy generator; Conv1D gets a fixed kernel
(kernel_size, in_features, filters) and bias set with `set_weights`. Besides the output y,
each case records the gradients of L = sum(y * dy) for a fixed dy (tf.GradientTape): dx,
and for conv1d dkernel and dbias. All arrays are flattened row-major (C order), shapes
as Keras stores them.

What these cases pin down:
- "causal" padding: dilation_rate * (kernel_size - 1) zeros before the sequence, none after
  (causal_dilated, causal_strided);
- "same" with an even kernel puts floor(pad_total / 2) before, the rest after (same_even_kernel);
- average pooling with "same" padding divides by the count of real (non-padded) inputs
  (avg_same);
- global max pooling (a reduce_max) splits the gradient evenly between ties (global_max_ties).
"""

import json
import os
import pathlib

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/NNRegTests/Fixtures/conv1d.json"
rng = np.random.default_rng(20240715)


def f32(a):
    return np.asarray(a, dtype="float32")


def flat(a):
    return [float(v) for v in np.asarray(a, dtype="float32").ravel()]


def gradients(layer, x, dy):
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = layer(xv)
        loss = tf.reduce_sum(y * dy)
    variables = [xv] + list(layer.trainable_variables)
    return y.numpy(), [g.numpy() for g in tape.gradient(loss, variables)]


def conv_case(name, shape, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
              activation="linear", use_bias=True):
    x = f32(rng.normal(size=shape))
    layer = keras.layers.Conv1D(filters, kernel_size, strides=strides, padding=padding,
                                dilation_rate=dilation_rate, activation=activation, use_bias=use_bias)
    layer.build(shape)
    kernel = f32(rng.normal(size=(kernel_size, shape[2], filters)) * 0.5)
    bias = f32(rng.normal(size=(filters,)) * 0.5)
    layer.set_weights([kernel, bias] if use_bias else [kernel])
    assert tuple(layer.kernel.shape) == kernel.shape
    out_shape = layer.compute_output_shape(shape)
    dy = f32(rng.normal(size=out_shape))
    y, grads = gradients(layer, x, dy)
    assert tuple(y.shape) == tuple(out_shape)
    return {
        "name": name, "input_shape": list(shape), "output_shape": list(y.shape),
        "filters": filters, "kernel_size": kernel_size, "strides": strides, "padding": padding,
        "dilation_rate": dilation_rate, "activation": activation, "use_bias": use_bias,
        "x": flat(x), "kernel": flat(kernel), "bias": flat(bias) if use_bias else [],
        "y": flat(y), "dy": flat(dy), "dx": flat(grads[0]), "dkernel": flat(grads[1]),
        "dbias": flat(grads[2]) if use_bias else [],
    }


def pool_case(name, kind, shape, pool_size=None, strides=None, padding="valid", x=None):
    x = f32(rng.normal(size=shape)) if x is None else f32(x).reshape(shape)
    if kind == "max_pooling1d":
        layer = keras.layers.MaxPooling1D(pool_size, strides=strides, padding=padding)
    elif kind == "average_pooling1d":
        layer = keras.layers.AveragePooling1D(pool_size, strides=strides, padding=padding)
    elif kind == "global_max_pooling1d":
        layer = keras.layers.GlobalMaxPooling1D()
    else:
        layer = keras.layers.GlobalAveragePooling1D()
    out_shape = layer.compute_output_shape(shape)
    dy = f32(rng.normal(size=out_shape))
    y, grads = gradients(layer, x, dy)
    case = {"name": name, "type": kind, "input_shape": list(shape), "output_shape": list(y.shape),
            "x": flat(x), "y": flat(y), "dy": flat(dy), "dx": flat(grads[0])}
    if pool_size is not None:
        case["pool_size"] = pool_size
        case["strides"] = strides or pool_size
        case["padding"] = padding
    return case


conv = [
    conv_case("valid", (2, 10, 3), 4, 3),
    conv_case("valid_relu", (2, 7, 2), 3, 2, activation="relu"),
    conv_case("same", (2, 7, 3), 2, 3, padding="same", activation="tanh"),
    conv_case("same_even_kernel", (1, 6, 2), 2, 4, padding="same"),
    conv_case("causal", (2, 6, 2), 3, 3, padding="causal"),
    conv_case("causal_dilated", (2, 9, 2), 3, 3, padding="causal", dilation_rate=2),
    conv_case("causal_strided", (2, 9, 2), 2, 3, strides=2, padding="causal"),
    conv_case("strided_valid", (2, 9, 3), 3, 3, strides=2),
    conv_case("strided_same", (2, 8, 2), 2, 3, strides=2, padding="same", activation="sigmoid"),
    conv_case("dilated_same", (1, 9, 2), 2, 3, padding="same", dilation_rate=2),
    conv_case("pointwise_no_bias", (2, 4, 5), 3, 1, use_bias=False),
]

pool = [
    pool_case("max_valid", "max_pooling1d", (2, 7, 3), 2),
    pool_case("max_valid_strided", "max_pooling1d", (2, 8, 2), 3, strides=2),
    pool_case("max_same", "max_pooling1d", (2, 7, 2), 3, strides=2, padding="same"),
    pool_case("avg_valid", "average_pooling1d", (2, 7, 3), 2),
    pool_case("avg_valid_strided", "average_pooling1d", (2, 8, 2), 3, strides=2),
    pool_case("avg_same", "average_pooling1d", (2, 7, 2), 3, strides=2, padding="same"),
    pool_case("avg_same_stride1", "average_pooling1d", (1, 5, 2), 4, strides=1, padding="same"),
    pool_case("global_max", "global_max_pooling1d", (2, 6, 3)),
    pool_case("global_max_ties", "global_max_pooling1d", (1, 4, 1), x=[1, 3, 3, 2]),
    pool_case("global_avg", "global_average_pooling1d", (2, 6, 3)),
]

doc = {
    "generator": "tools/reference/conv1d.py",
    "keras": keras.__version__,
    "tensorflow": tf.__version__,
    "conv": conv,
    "pool": pool,
}
OUT.write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {OUT} ({len(conv)} conv cases, {len(pool)} pool cases)")
