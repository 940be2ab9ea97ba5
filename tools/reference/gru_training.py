"""A stacked GRU trained by Keras 3 for a few epochs, for nnreg's training loop to follow step by step.

Run from the repository root, after `make refs-env`:

    .venv/bin/python tools/reference/gru_training.py

Produced with keras 3.15.1 on the tensorflow 2.21.0 backend (CPU, float32). Writes
Tests/NNRegTests/Fixtures/gru_training.json, which RecurrentDropoutTests.swift reads.

The parity experiment (tools/reference/gru_parity.py) compares Keras and nnreg over
seeds, where initial weights, shuffles and masks are each side's own draws. This fixture
removes the draws: GRU(8, return_sequences), GRU(4), dense 1 on the first 64 training
windows of data/sunspots (scaled as gru_parity.py scales them), mse, RMSprop 1e-3,
batch 32, no shuffling, no dropout, 4 epochs. It records Keras's initial weights (in
nnreg's parameter order: per layer kernel, recurrent_kernel, bias), the per-epoch loss
and val_loss (the 16 validation windows) and the weights after the last epoch. nnreg,
started from the same weights, must reproduce them to float32 rounding.
"""

import json
import os
import pathlib
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import gru_parity  # noqa: E402

EPOCHS = 4
keras.utils.set_random_seed(3)
spec = json.loads(gru_parity.SPEC.read_text())
(xt, yt), (xv, yv), _ = gru_parity.parts(spec)
xt, yt = xt[:64], yt[:64]
model = keras.Sequential([
    keras.Input(xt.shape[1:]), keras.layers.GRU(8, return_sequences=True), keras.layers.GRU(4), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="mse")
initial = [w.ravel().tolist() for w in model.get_weights()]
history = model.fit(xt, yt, validation_data=(xv, yv), epochs=EPOCHS, batch_size=32, shuffle=False, verbose=0)

out = {"generator": "tools/reference/gru_training.py", "keras": keras.__version__, "tensorflow": tf.__version__,
       "window": int(xt.shape[1]), "units": [8, 4], "learning_rate": 1e-3, "batch_size": 32,
       "x_train": xt.ravel().tolist(), "y_train": yt.ravel().tolist(),
       "x_validation": xv.ravel().tolist(), "y_validation": yv.ravel().tolist(),
       "initial_weights": initial, "loss": history.history["loss"], "val_loss": history.history["val_loss"],
       "final_weights": [w.ravel().tolist() for w in model.get_weights()]}
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/NNRegTests/Fixtures/gru_training.json"
path.write_text(json.dumps(out) + "\n")
print("wrote", path, "loss", history.history["loss"], "val_loss", history.history["val_loss"])
