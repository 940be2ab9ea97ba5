"""GRU parity experiment: the same stacked GRU trained by Keras and by nnreg, test MSE over seeds.

Run from the repository root, after `make refs-env` (Keras) and `swift build -c release`:

    .venv/bin/python tools/reference/gru_parity.py --nnreg .build/release/nnreg

Produced with keras 3.15.1 on the tensorflow 2.21.0 backend (CPU, float32).

The spec is specs/gru/sunspots-gru-dropout.json: yearly sunspot numbers
(data/sunspots/sunspots_yearly.csv), windows of 12 years predict the next year;
test_split 0.1 off the end (round(0.1 * 309) = 31 rows), then validation_split 0.1 of
the rest (28 rows), each part windowed on its own; featurewise scaling (population std,
+1e-6) fitted on the training rows; GRU(32, dropout 0.1, return_sequences), GRU(16),
dense 1; mse, RMSprop 1e-3, batch 32, shuffled, up to 200 epochs, early stopping on
val_loss with patience 10 restoring the best weights. This script rebuilds exactly that
in Keras, and runs `nnreg train` on the spec for the same seeds. Variants: "dropout 0.1"
(the spec) and "dropout 0" (`--set model.layers[0].dropout=0`). The test MSE is in the
scaled units on both sides (nnreg's metrics.json test.loss, Keras's evaluate).
`--seeds N` runs seeds 1...N; `--variant` one variant; `--epochs E` trains exactly E
epochs on both sides, without early stopping.

Keras's fit(shuffle=True) on arrays draws its order with tf.random.shuffle inside a
tf.data map; once keras.utils.set_random_seed has set the global seed, that op restarts
from the same state each epoch, so every epoch sees the same order (batches included);
nnreg's training.shuffle true does the same for a time series ("every_epoch": a new
order each epoch). `--keras-reshuffle` feeds Keras through a PyDataset that draws a new
order every epoch instead.

Prints one markdown table: per variant, mean and std (population) of the test MSE per
side, and the ratio nnreg / Keras of the means.

The data file was written from statsmodels 0.15.0 by:

    python -c "import statsmodels.api as sm; d = sm.datasets.sunspots.load_pandas().data; \
      open('data/sunspots/sunspots_yearly.csv', 'w').write('year,sunspots\\n' + ''.join( \
      f'{int(y)}-12-31,{v:g}\\n' for y, v in zip(d.YEAR, d.SUNACTIVITY)))"
"""

import argparse
import csv
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs/gru/sunspots-gru-dropout.json"
VARIANTS = {"dropout 0.1": 0.1, "dropout 0": 0.0}


def parts(spec):
    """Train, validation and test windows, scaled, as nnreg makes them."""
    data = spec["data"]
    with open(SPEC.parent / data["train"]) as f:
        values = np.array([float(r["sunspots"]) for r in csv.DictReader(f)], dtype=np.float64)
    rows = len(values)
    test = math.floor(data["test_split"] * rows + 0.5)
    rest = rows - test
    val = math.floor(data["validation_split"] * rest + 0.5)
    train_end = rest - val
    mean, std = values[:train_end].mean(), values[:train_end].std()
    scaled = ((values - mean) / (std + 1e-6)).astype("float32")
    window = data["sequence"]["window"]

    def windows(part):
        n = len(part) - window
        x = np.stack([part[i : i + window] for i in range(n)])[..., None]
        y = np.array([part[i + window] for i in range(n)])[:, None]
        return x, y

    return windows(scaled[:train_end]), windows(scaled[train_end:rest]), windows(scaled[rest:])


def keras_run(spec, seed, dropout, epochs=None, reshuffle=False):
    import keras

    class Reshuffled(keras.utils.PyDataset):
        """The training windows in a new order every epoch (numpy, seeded), batch by batch."""

        def __init__(self, x, y, batch_size):
            super().__init__()
            self.x, self.y, self.batch_size = x, y, batch_size
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, i):
            rows = self.order[i * self.batch_size : (i + 1) * self.batch_size]
            return self.x[rows], self.y[rows]

        def on_epoch_end(self):
            self.order = self.rng.permutation(len(self.x))

    keras.utils.set_random_seed(seed)
    (xt, yt), (xv, yv), (xs, ys) = parts(spec)
    layers = spec["model"]["layers"]
    model = keras.Sequential(
        [
            keras.Input(xt.shape[1:]),
            keras.layers.GRU(layers[0]["units"], dropout=dropout, return_sequences=True),
            keras.layers.GRU(layers[1]["units"]),
            keras.layers.Dense(1),
        ]
    )
    training = spec["training"]
    model.compile(optimizer=keras.optimizers.RMSprop(training["optimizer"]["learning_rate"]), loss="mse")
    stop = spec["early_stopping"]
    callbacks = [] if epochs else [keras.callbacks.EarlyStopping(
        monitor=stop["monitor"], patience=stop["patience"], restore_best_weights=stop["restore_best_weights"])]
    epochs = epochs or training["epochs"]
    if reshuffle:
        data = Reshuffled(xt, yt, training["batch_size"])
        model.fit(data, validation_data=(xv, yv), epochs=epochs, verbose=0, callbacks=callbacks)
    else:
        model.fit(
            xt, yt, validation_data=(xv, yv), epochs=epochs, batch_size=training["batch_size"],
            shuffle=True, verbose=0, callbacks=callbacks,
        )
    return float(model.evaluate(xs, ys, verbose=0))


def nnreg_run(binary, seed, dropout, epochs=None):
    fixed = ["--epochs", str(epochs), "--set", "early_stopping=null"] if epochs else []
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [binary, "train", str(SPEC), "--seed", str(seed), "--output", out, "--overwrite", "--quiet",
             "--set", f"model.layers[0].dropout={dropout}"] + fixed,
            check=True)
        return json.loads((pathlib.Path(out) / "metrics.json").read_text())["test"]["loss"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnreg", required=True, help="the nnreg binary")
    parser.add_argument("--seeds", type=int, default=6, help="seeds 1...N")
    parser.add_argument("--variant", choices=list(VARIANTS), action="append", help="default: all")
    parser.add_argument("--epochs", type=int, help="train exactly this many epochs, without early stopping")
    parser.add_argument(
        "--keras-reshuffle", action="store_true",
        help="feed Keras a new order every epoch (a PyDataset) instead of fit(shuffle=True), whose order "
        "repeats every epoch once a global seed is set")
    args = parser.parse_args()
    spec = json.loads(SPEC.read_text())
    seeds = range(1, args.seeds + 1)
    print("| variant | nnreg test MSE, mean ± std | Keras test MSE, mean ± std | nnreg / Keras |")
    print("| --- | --- | --- | --- |")
    for name in args.variant or VARIANTS:
        dropout = VARIANTS[name]
        ours = np.array([nnreg_run(args.nnreg, s, dropout, args.epochs) for s in seeds])
        theirs = np.array([keras_run(spec, s, dropout, args.epochs, args.keras_reshuffle) for s in seeds])
        print(f"{name}: nnreg {ours.round(4).tolist()}, Keras {theirs.round(4).tolist()}", file=sys.stderr)
        print(f"| {name} | {ours.mean():.4f} ± {ours.std():.4f} | {theirs.mean():.4f} ± {theirs.std():.4f} "
              f"| {ours.mean() / theirs.mean():.2f} |", flush=True)


if __name__ == "__main__":
    main()
