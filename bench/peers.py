#!/usr/bin/env python3
"""Peer benchmarks for nnreg: the benchmark workloads in Keras and PyTorch.

Usage (run from the repository root, with the peers' virtualenv, see bench/setup_peers.sh):
  peers.py mlp|cnn --framework keras|torch [--data DIR] [--source csv|idx] [--idx-dir DIR]
                   [--epochs N] [--threads T] [--seed S] [--json]
  peers.py lstm|gru|simple_rnn --framework keras|torch [--series CSV] [--epochs N] [--threads T] [--json]
  peers.py csv-load [--csv PATH] [--source csv|idx] [--repeats 3] [--json]
  peers.py sgemm [--threads T] [--json]

Workloads, both trained with Adam (lr 0.001), batch 128,
sparse categorical crossentropy, on 54,000 samples per epoch (a seeded 10% of the
60,000 training images is held out), inputs scaled by 1/255:
  mlp: dense 256 relu (l2 1e-4), dropout 0.3, dense 128 relu (l2 1e-4), dropout 0.3,
       dense 10 softmax
  cnn: conv2d 32 3x3 relu, max_pooling2d 2, conv2d 64 3x3 relu, max_pooling2d 2,
       flatten, dropout 0.5, dense 10 softmax

Recurrent workloads (lstm, gru; see "Recurrent workloads" below): 4 stacked LSTM(50)
(or GRU(50)), the first three returning sequences, dense 1; windows of 60 steps of the one
feature of data/sines/sines.csv (tools/sines_series.py), batch 256, Adam, mse.

Data: --source csv (default) reads DIR/train.csv and DIR/test.csv (header, `label`
column first, then 784 pixel columns); --source idx reads the gzipped IDX files of
Debian's dataset-fashion-mnist from --idx-dir (default /usr/share/datasets/fashion-mnist).

Figures: samples_per_second is over the steady-state epochs: the first epoch (tracing,
XLA compilation, allocator warm-up) is excluded when --epochs >= 2. epoch_seconds is the
training loop alone (no validation, no evaluation). peak_rss_mb is the whole process's
maximum resident set (getrusage), data loading included.

--json prints one JSON document on stdout and nothing else there (everything the
frameworks print goes to stderr). Exit status: 0 ok, 1 failure while running, 2 bad
usage or missing data / framework.
"""
import argparse
import gzip
import json
import os
import platform
import resource
import struct
import sys
import tempfile
import time

TRAIN_SAMPLES = 54_000
BATCH = 128
LR = 1e-3
L2 = 1e-4
IDX_DIR = "/usr/share/datasets/fashion-mnist"
# Training FLOPs per sample, ~3x the forward multiply-adds x2.
TRAIN_FLOPS_PER_SAMPLE = {
    "mlp": 3 * 2 * (784 * 256 + 256 * 128 + 128 * 10),  # ~1.41 MFLOP
    "cnn": 3 * 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 32 * 9 + 1600 * 10),  # ~14.6 MFLOP
}


class UsageError(Exception):
    """Bad usage, missing data or a missing framework: exit status 2."""


def all_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def set_thread_env(threads):
    """Thread count for the BLAS / OpenMP pools; must run before numpy/torch/tf load."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def peak_rss_mb():
    # Linux reports ru_maxrss in KiB.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def tuning_env():
    """Environment variables that change the peers' speed, when set."""
    names = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "OPENBLAS_CORETYPE",
             "TF_ENABLE_ONEDNN_OPTS", "TF_XLA_FLAGS", "KERAS_BACKEND")
    return {k: os.environ[k] for k in names if k in os.environ}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data

def read_idx(path, ndim):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    zero, dtype, nd = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or nd != ndim:
        raise UsageError(f"{path}: not an unsigned-byte IDX file with {ndim} dimensions")
    dims = struct.unpack(f">{nd}I", data[4:4 + 4 * nd])
    import numpy as np
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def load_idx_split(idx_dir, split):
    prefix = "train" if split == "train" else "t10k"
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    paths = []
    for n in names:
        for cand in (os.path.join(idx_dir, n + ".gz"), os.path.join(idx_dir, n)):
            if os.path.exists(cand):
                paths.append(cand)
                break
        else:
            raise UsageError(f"{os.path.join(idx_dir, n)}[.gz] not found "
                             "(apt-get install dataset-fashion-mnist, or pass --idx-dir)")
    images = read_idx(paths[0], 3)
    labels = read_idx(paths[1], 1)
    return images.reshape(len(images), -1), labels.astype("int64")


def load_csv_split(path):
    if not os.path.exists(path):
        raise UsageError(f"{path} not found: run `make data`, or pass --source idx "
                         "to read Debian's IDX files instead")
    import numpy as np
    pd = import_pandas()
    frame = pd.read_csv(path)
    label_col = "label" if "label" in frame.columns else frame.columns[0]
    labels = frame[label_col].to_numpy(dtype=np.int64)
    pixels = frame.drop(columns=[label_col]).to_numpy(dtype=np.uint8)
    if pixels.shape[1] != 784:
        raise UsageError(f"{path}: expected 784 pixel columns, found {pixels.shape[1]}")
    return pixels, labels


def load_fashion_mnist(args, seed):
    """Returns dict of float32 arrays scaled by 1/255: train (54,000), val (6,000), test."""
    import numpy as np
    start = time.perf_counter()
    if args.source == "csv":
        x, y = load_csv_split(os.path.join(args.data, "train.csv"))
        xt, yt = load_csv_split(os.path.join(args.data, "test.csv"))
    else:
        x, y = load_idx_split(args.idx_dir, "train")
        xt, yt = load_idx_split(args.idx_dir, "test")
    scale = np.float32(1.0 / 255.0)
    x = x.astype(np.float32) * scale
    xt = xt.astype(np.float32) * scale
    if len(x) < TRAIN_SAMPLES:
        raise UsageError(f"training set has {len(x)} rows, need at least {TRAIN_SAMPLES}")
    perm = np.random.default_rng(seed).permutation(len(x))
    n_val = len(x) - TRAIN_SAMPLES  # 10% of Fashion-MNIST's 60,000
    val_idx, tr_idx = perm[:n_val], perm[n_val:]
    out = {
        "x_train": np.ascontiguousarray(x[tr_idx]), "y_train": y[tr_idx],
        "x_val": np.ascontiguousarray(x[val_idx]), "y_val": y[val_idx],
        "x_test": xt, "y_test": yt,
        "load_seconds": round(time.perf_counter() - start, 3),
    }
    return out


# ---------------------------------------------------------------- keras

def import_keras(args):
    """(tensorflow, keras) on the TensorFlow backend with args.threads threads."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        import keras
    except ImportError as e:
        raise UsageError(f"keras/tensorflow not installed ({e}): run bench/setup_peers.sh")
    return tf, keras


def run_keras(args, data):
    tf, keras = import_keras(args)
    from keras import layers, regularizers
    if keras.backend.backend() != "tensorflow":
        raise UsageError(f"KERAS_BACKEND is {keras.backend.backend()}, expected tensorflow")
    keras.utils.set_random_seed(args.seed)

    if args.workload == "mlp":
        model = keras.Sequential([
            keras.Input((784,)),
            layers.Dense(256, activation="relu", kernel_regularizer=regularizers.l2(L2)),
            layers.Dropout(0.3),
            layers.Dense(128, activation="relu", kernel_regularizer=regularizers.l2(L2)),
            layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ])
        shape = (-1, 784)
    else:
        model = keras.Sequential([
            keras.Input((28, 28, 1)),  # NHWC, Keras's default layout
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ])
        shape = (-1, 28, 28, 1)
    jit = {"auto": "auto", "true": True, "false": False}[args.jit]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit)

    x_train = data["x_train"].reshape(shape)
    x_val = data["x_val"].reshape(shape)
    x_test = data["x_test"].reshape(shape)

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds, self.losses, self.accs = [], [], []

        def on_epoch_begin(self, epoch, logs=None):
            self._t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            dt = time.perf_counter() - self._t
            self.seconds.append(dt)
            self.losses.append(float(logs.get("loss", float("nan"))))
            self.accs.append(float(logs.get("accuracy", float("nan"))))
            log(f"keras {args.workload} epoch {epoch + 1}/{args.epochs}: {dt:.2f} s, "
                f"loss {self.losses[-1]:.4f}, acc {self.accs[-1]:.4f}")

    timer = EpochTimer()
    # No validation_data: epoch times are the training loop alone; validation and
    # test accuracy are evaluated once afterwards.
    model.fit(x_train, data["y_train"], batch_size=BATCH, epochs=args.epochs,
              shuffle=True, verbose=0, callbacks=[timer])
    _, val_acc = model.evaluate(x_val, data["y_val"], batch_size=1024, verbose=0)
    _, test_acc = model.evaluate(x_test, data["y_test"], batch_size=1024, verbose=0)
    return {
        "epoch_seconds": timer.seconds,
        "train_loss": timer.losses,
        "train_accuracy": timer.accs,
        "val_accuracy": float(val_acc),
        "test_accuracy": float(test_acc),
        "jit_compile": bool(getattr(model, "jit_compile", jit)),
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }


# ---------------------------------------------------------------- torch

def import_torch(args):
    """torch with args.threads threads and args.seed set."""
    try:
        import torch
    except ImportError as e:
        raise UsageError(f"torch not installed ({e}): run bench/setup_peers.sh")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return torch


def run_torch(args, data):
    torch = import_torch(args)
    from torch import nn
    import torch.nn.functional as F

    if args.workload == "mlp":
        hidden1, hidden2 = nn.Linear(784, 256), nn.Linear(256, 128)
        model = nn.Sequential(
            hidden1, nn.ReLU(), nn.Dropout(0.3),
            hidden2, nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(128, 10),  # softmax is folded into cross_entropy below
        )
        l2_kernels = [hidden1.weight, hidden2.weight]
        shape = (-1, 784)
    else:
        model = nn.Sequential(  # NCHW, torch's natural layout
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.5),
            nn.Linear(64 * 5 * 5, 10),
        )
        l2_kernels = []
        shape = (-1, 1, 28, 28)
    # Keras's initializers: glorot_uniform kernels, zero biases.
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    # Keras's Adam epsilon (1e-7). Keras applies it as "epsilon hat" (added to
    # sqrt(v) before the bias correction), torch after; the difference is negligible.
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-7)

    x_train = torch.from_numpy(data["x_train"]).reshape(shape)
    y_train = torch.from_numpy(data["y_train"])
    n = x_train.shape[0]
    gen = torch.Generator().manual_seed(args.seed)

    seconds, losses, accs = [], [], []
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        # Shuffle once per epoch, then slice contiguous batches (as the targets say:
        # fancy-indexing every batch made the loop ~10x slower).
        perm = torch.randperm(n, generator=gen)
        xs, ys = x_train[perm], y_train[perm]
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.int64)
        for i in range(0, n, BATCH):
            xb, yb = xs[i:i + BATCH], ys[i:i + BATCH]
            logits = model(xb)
            data_loss = F.cross_entropy(logits, yb)
            loss = data_loss
            if l2_kernels:
                # Keras's l2(1e-4): 1e-4 * sum(w^2) on kernels, added to the loss
                # (not torch's weight_decay, which is lambda*w in the gradient, i.e.
                # half the gradient of this penalty, and coupled with Adam's scaling).
                loss = loss + L2 * sum(w.pow(2).sum() for w in l2_kernels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                loss_sum += loss.detach() * len(yb)
                correct += (logits.argmax(1) == yb).sum()
        dt = time.perf_counter() - t0
        seconds.append(dt)
        losses.append(float(loss_sum) / n)
        accs.append(float(correct) / n)
        log(f"torch {args.workload} epoch {epoch + 1}/{args.epochs}: {dt:.2f} s, "
            f"loss {losses[-1]:.4f}, acc {accs[-1]:.4f}")

    def accuracy(x, y):
        model.eval()
        x = torch.from_numpy(x).reshape(shape)
        y = torch.from_numpy(y)
        hits = 0
        with torch.inference_mode():
            for i in range(0, len(y), 1024):
                hits += int((model(x[i:i + 1024]).argmax(1) == y[i:i + 1024]).sum())
        return hits / len(y)

    return {
        "epoch_seconds": seconds,
        "train_loss": losses,
        "train_accuracy": accs,
        "val_accuracy": accuracy(data["x_val"], data["y_val"]),
        "test_accuracy": accuracy(data["x_test"], data["y_test"]),
        "versions": {"torch": torch.__version__},
        "torch_parallel_info": torch.__config__.parallel_info().strip().splitlines()[:6],
    }


def cmd_train(args):
    import importlib.util
    import numpy as np
    needed = ("tensorflow", "keras") if args.framework == "keras" else ("torch",)
    for mod in needed:  # before loading the data: a missing peer is skipped quickly
        if importlib.util.find_spec(mod) is None:
            raise UsageError(f"{mod} not installed: run bench/setup_peers.sh")
    data = load_fashion_mnist(args, args.seed)
    runner = run_keras if args.framework == "keras" else run_torch
    res = runner(args, data)
    secs = res["epoch_seconds"]
    steady = secs[1:] if len(secs) >= 2 else secs
    sps = TRAIN_SAMPLES * len(steady) / sum(steady)
    out = {
        "benchmark": "train",
        "workload": args.workload,
        "framework": args.framework,
        "epochs": args.epochs,
        "batch_size": BATCH,
        "train_samples_per_epoch": TRAIN_SAMPLES,
        "threads": args.threads,
        "data": {"source": args.source,
                 "path": args.data if args.source == "csv" else args.idx_dir,
                 "load_seconds": data["load_seconds"]},
        "epoch_seconds": [round(s, 3) for s in secs],
        "warmup_excluded": len(secs) >= 2,
        "samples_per_second": round(sps, 1),
        "train_gflops": round(sps * TRAIN_FLOPS_PER_SAMPLE[args.workload] / 1e9, 1),
        "train_loss": [round(v, 5) for v in res["train_loss"]],
        "train_accuracy": [round(v, 5) for v in res["train_accuracy"]],
        "val_accuracy": round(res["val_accuracy"], 5),
        "test_accuracy": round(res["test_accuracy"], 5),
        "peak_rss_mb": peak_rss_mb(),
        "versions": dict(python=platform.python_version(), numpy=np.__version__,
                         **res["versions"]),
        "env": tuning_env(),
    }
    if "jit_compile" in res:
        out["jit_compile"] = res["jit_compile"]
    if "torch_parallel_info" in res:
        out["torch_parallel_info"] = res["torch_parallel_info"]
    human = (f"{args.framework} {args.workload}: {out['samples_per_second']:.0f} samples/s "
             f"({'steady epochs' if out['warmup_excluded'] else 'warm-up included'}), "
             f"epochs {out['epoch_seconds']} s, test accuracy {out['test_accuracy']:.4f}, "
             f"peak RSS {out['peak_rss_mb']:.0f} MB, {args.threads} threads")
    return out, human


# ---------------------------------------------------------------- recurrent workloads
# lstm / gru: the benchmark's LSTM workload and its GRU twin, as nnreg's specs/bench/lstm.json
# and gru.json define them: the 20,000-row series of tools/sines_series.py, its last 10% of
# rows held out for validation (windowed separately, as nnreg's validation_split does for
# sequences), featurewise scaling by the training rows' mean and std, windows of 60 steps
# predicting the next value; 4 stacked layers of 50 units, the first three returning
# sequences, dense 1; batch 256, Adam (lr 0.001), mse.

RNN_WINDOW = 60
RNN_BATCH = 256
RNN_UNITS = 50
RNN_LAYERS = 4
RNN_VALIDATION = 0.1
# Gate products per unit: the workload's cell.
RNN_GATES = {"lstm": 4, "gru": 3, "simple_rnn": 1}


def rnn_train_flops(workload):
    """Training FLOPs per sequence, 3x the forward multiply-adds x2 of the stacked layers."""
    gates = RNN_GATES[workload]
    per_step = sum(2 * (f + RNN_UNITS) * gates * RNN_UNITS
                   for f in [1] + [RNN_UNITS] * (RNN_LAYERS - 1))
    return 3 * per_step * RNN_WINDOW  # lstm ~25.3 MFLOP, gru ~19.0, simple_rnn ~6.3


def load_sines(path):
    """(x_train, y_train, x_val, y_val) float32 windows of the one-column series."""
    import numpy as np
    if not os.path.exists(path):
        raise UsageError(f"{path} is missing: run python3 tools/sines_series.py")
    values = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    n_val = int(round(len(values) * RNN_VALIDATION))
    train, val = values[:-n_val], values[-n_val:]
    mean, std = train.mean(), train.std()

    def windows(v):
        v = ((v - mean) / (std + 1e-6)).astype(np.float32)
        idx = np.arange(RNN_WINDOW)[None, :] + np.arange(len(v) - RNN_WINDOW)[:, None]
        return v[idx][..., None], v[RNN_WINDOW:][:, None]

    return windows(train) + windows(val)


def run_keras_rnn(args, data):
    tf, keras = import_keras(args)
    from keras import layers
    keras.utils.set_random_seed(args.seed)
    cell = {"lstm": layers.LSTM, "gru": layers.GRU, "simple_rnn": layers.SimpleRNN}[args.workload]
    model = keras.Sequential([keras.Input((RNN_WINDOW, 1))]
                             + [cell(RNN_UNITS, return_sequences=i < RNN_LAYERS - 1) for i in range(RNN_LAYERS)]
                             + [layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR), loss="mse")
    x_train, y_train, x_val, y_val = data
    seconds, losses = [], []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self._t)
            losses.append(float(logs.get("loss", float("nan"))))
            log(f"keras {args.workload} epoch {epoch + 1}/{args.epochs}: {seconds[-1]:.2f} s, loss {losses[-1]:.5f}")

    # validation_data: the validation pass runs every epoch, inside the epoch's time, as nnreg's
    # validation_split does (nnreg's history seconds include it).
    model.fit(x_train, y_train, batch_size=RNN_BATCH, epochs=args.epochs, shuffle=True, verbose=0,
              validation_data=(x_val, y_val), callbacks=[EpochTimer()])
    val_loss = model.evaluate(x_val, y_val, batch_size=1024, verbose=0)
    return {"epoch_seconds": seconds, "train_loss": losses, "val_loss": float(val_loss),
            "versions": {"tensorflow": tf.__version__, "keras": keras.__version__}}


def run_torch_rnn(args, data):
    torch = import_torch(args)
    from torch import nn
    cell = {"lstm": nn.LSTM, "gru": nn.GRU, "simple_rnn": nn.RNN}[args.workload]  # nn.RNN: tanh

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            # num_layers=4: four stacked layers, each feeding its whole sequence to the next
            # (Keras's return_sequences on the first three); torch's fused CPU kernels.
            self.rnn = cell(1, RNN_UNITS, num_layers=RNN_LAYERS, batch_first=True)
            self.head = nn.Linear(RNN_UNITS, 1)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-7)
    x_train, y_train, x_val, y_val = (torch.from_numpy(a) for a in data)
    n = x_train.shape[0]
    gen = torch.Generator().manual_seed(args.seed)
    seconds, losses = [], []
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        xs, ys = x_train[perm], y_train[perm]
        loss_sum = torch.zeros(())
        for i in range(0, n, RNN_BATCH):
            xb, yb = xs[i:i + RNN_BATCH], ys[i:i + RNN_BATCH]
            loss = nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                loss_sum += loss.detach() * len(yb)
        model.eval()  # the validation pass, every epoch and inside its time, as nnreg and Keras do
        with torch.inference_mode():
            val_loss = float(nn.functional.mse_loss(model(x_val), y_val))
        seconds.append(time.perf_counter() - t0)
        losses.append(float(loss_sum) / n)
        log(f"torch {args.workload} epoch {epoch + 1}/{args.epochs}: {seconds[-1]:.2f} s, loss {losses[-1]:.5f}")
    return {"epoch_seconds": seconds, "train_loss": losses, "val_loss": val_loss,
            "versions": {"torch": torch.__version__}}


def cmd_recurrent(args):
    import importlib.util
    import numpy as np
    needed = ("tensorflow", "keras") if args.framework == "keras" else ("torch",)
    for mod in needed:
        if importlib.util.find_spec(mod) is None:
            raise UsageError(f"{mod} not installed: run bench/setup_peers.sh")
    data = load_sines(args.series)
    runner = run_keras_rnn if args.framework == "keras" else run_torch_rnn
    res = runner(args, data)
    secs = res["epoch_seconds"]
    steady = secs[1:] if len(secs) >= 2 else secs
    windows = len(data[0])
    sps = windows * len(steady) / sum(steady)
    out = {
        "benchmark": "train", "workload": args.workload, "framework": args.framework, "epochs": args.epochs,
        "batch_size": RNN_BATCH, "train_sequences_per_epoch": windows, "threads": args.threads,
        "epoch_seconds": [round(s, 3) for s in secs], "warmup_excluded": len(secs) >= 2,
        "sequences_per_second": round(sps, 1), "samples_per_second": round(sps, 1),
        "train_gflops": round(sps * rnn_train_flops(args.workload) / 1e9, 2),
        "train_loss": [round(v, 6) for v in res["train_loss"]], "val_loss": round(res["val_loss"], 6),
        "peak_rss_mb": peak_rss_mb(),
        "versions": dict(python=platform.python_version(), numpy=np.__version__, **res["versions"]),
        "env": tuning_env(),
    }
    human = (f"{args.framework} {args.workload}: {sps:.0f} sequences/s "
             f"({'steady epochs' if out['warmup_excluded'] else 'warm-up included'}), "
             f"epochs {out['epoch_seconds']} s, val loss {out['val_loss']:.5f}, {args.threads} threads")
    return out, human


# ---------------------------------------------------------------- csv-load

def write_csv_from_idx(idx_dir, path):
    """Kaggle layout: `label,pixel1..pixel784`, one image per row."""
    x, y = load_idx_split(idx_dir, "train")
    text = [str(i) for i in range(256)]
    with open(path, "w") as out:
        out.write("label," + ",".join(f"pixel{i + 1}" for i in range(784)) + "\n")
        for img, lab in zip(x.tolist(), y.tolist()):
            out.write(text[lab] + "," + ",".join([text[b] for b in img]) + "\n")


def import_pandas():
    try:
        import pandas
    except ImportError as e:
        raise UsageError(f"pandas not installed ({e}): run bench/setup_peers.sh")
    return pandas


def cmd_csv_load(args):
    pd = import_pandas()
    path, tmpdir = args.csv, None
    if args.source == "idx" or not os.path.exists(path):
        if args.source == "csv":
            raise UsageError(f"{path} not found: run `make data`, or pass --source idx "
                             "(writes a temporary CSV from Debian's IDX files)")
        tmpdir = tempfile.mkdtemp(prefix="nnreg-bench-")
        path = os.path.join(tmpdir, "train.csv")
        log(f"writing {path} from {args.idx_dir} ...")
        write_csv_from_idx(args.idx_dir, path)
    try:
        with open(path, "rb") as f:  # warm the page cache: every repeat reads from memory
            while f.read(1 << 24):
                pass
        times, shape = [], None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            frame = pd.read_csv(path)
            times.append(time.perf_counter() - t0)
            shape = frame.shape
            del frame
        size = os.path.getsize(path)
    finally:
        if tmpdir:
            os.remove(path)
            os.rmdir(tmpdir)
    out = {
        "benchmark": "csv-load",
        "tool": "pandas.read_csv",
        "path": args.csv if tmpdir is None else f"(temporary CSV from {args.idx_dir})",
        "bytes": size,
        "rows": shape[0], "columns": shape[1],
        "repeats": args.repeats,
        "seconds": [round(t, 3) for t in times],
        "best_seconds": round(min(times), 3),
        "peak_rss_mb": peak_rss_mb(),
        "versions": {"pandas": pd.__version__, "python": platform.python_version()},
    }
    human = (f"pandas.read_csv {out['best_seconds']:.3f} s best of {args.repeats} "
             f"({shape[0]} x {shape[1]}, {size / 1e6:.0f} MB)")
    return out, human


# ---------------------------------------------------------------- sgemm

def cmd_sgemm(args):
    import numpy as np

    def bench(m, k, n, min_seconds=0.2):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=c)  # warm-up
        reps = 1
        while True:  # calibrate to ~min_seconds per timing
            t0 = time.perf_counter()
            for _ in range(reps):
                np.matmul(a, b, out=c)
            dt = time.perf_counter() - t0
            if dt >= min_seconds / 4:
                break
            reps *= 4
        reps = max(1, int(reps * min_seconds / max(dt, 1e-9)))
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(reps):
                np.matmul(a, b, out=c)
            best = min(best, (time.perf_counter() - t0) / reps)
        return best

    # (m, k, n): C[m,n] = A[m,k] @ B[k,n]. The MLP step at batch 128: forward
    # X@W per layer, backward dW = X^T@dY and dX = dY@W^T (no dX for the first layer).
    shapes = [
        ("1024^3", 1024, 1024, 1024),
        ("mlp fwd 128x784 @ 784x256", 128, 784, 256),
        ("mlp fwd 128x256 @ 256x128", 128, 256, 128),
        ("mlp fwd 128x128 @ 128x10", 128, 128, 10),
        ("mlp dW 784x128 @ 128x256", 784, 128, 256),
        ("mlp dW 256x128 @ 128x128", 256, 128, 128),
        ("mlp dW 128x128 @ 128x10", 128, 128, 10),
        ("mlp dX 128x128 @ 128x256", 128, 128, 256),
        ("mlp dX 128x10 @ 10x128", 128, 10, 128),
    ]
    rows, step_time, step_flops = [], 0.0, 0.0
    for name, m, k, n in shapes:
        t = bench(m, k, n)
        flops = 2.0 * m * k * n
        rows.append({"shape": name, "m": m, "k": k, "n": n,
                     "seconds": t, "gflops": round(flops / t / 1e9, 1)})
        if name.startswith("mlp"):
            step_time += t
            step_flops += flops
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        blas_info = {k: blas.get(k) for k in ("name", "version", "openblas configuration")
                     if k in blas}
    except Exception:  # older numpy
        blas_info = {}
    try:
        from threadpoolctl import threadpool_info  # optional
        blas_info["threadpools"] = threadpool_info()
    except ImportError:
        pass
    out = {
        "benchmark": "sgemm",
        "tool": "numpy.matmul float32",
        "threads": args.threads,
        "shapes": rows,
        "gflops_1024": rows[0]["gflops"],
        "gflops_mlp_step": round(step_flops / step_time / 1e9, 1),
        "blas": blas_info,
        "versions": {"numpy": np.__version__, "python": platform.python_version()},
        "env": tuning_env(),
    }
    human = "\n".join(f"{r['shape']:<28} {r['gflops']:8.1f} GFLOP/s" for r in rows)
    human += f"\nmlp step (all its matmuls)   {out['gflops_mlp_step']:8.1f} GFLOP/s ({args.threads} threads)"
    return out, human


# ---------------------------------------------------------------- main

def parse(argv):
    p = argparse.ArgumentParser(prog="peers.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--threads", type=int, default=None,
                        help="worker threads (default: all cores, %d here)" % all_cores())
        sp.add_argument("--json", action="store_true",
                        help="print one JSON document on stdout, messages on stderr")
        sp.add_argument("--idx-dir", default=IDX_DIR,
                        help="folder of the IDX files for --source idx (default %(default)s)")

    for w in ("mlp", "cnn"):
        sp = sub.add_parser(w, help=f"train the {w.upper()} workload")
        common(sp)
        sp.add_argument("--framework", choices=("keras", "torch"), required=True)
        sp.add_argument("--data", default="data/fashion-mnist",
                        help="folder with train.csv and test.csv (default %(default)s)")
        sp.add_argument("--source", choices=("csv", "idx"), default="csv",
                        help="csv: DATA/*.csv (default); idx: Debian's IDX files")
        sp.add_argument("--epochs", type=int, default=2)
        sp.add_argument("--seed", type=int, default=42)
        sp.add_argument("--jit", choices=("auto", "true", "false"), default="auto",
                        help="keras only: compile(jit_compile=...), Keras's default auto")
    for w in RNN_GATES:
        sp = sub.add_parser(w, help=f"train the {w} workload on the sines series")
        common(sp)
        sp.add_argument("--framework", choices=("keras", "torch"), required=True)
        sp.add_argument("--series", default="data/sines/sines.csv",
                        help="the one-column series (default %(default)s, tools/sines_series.py)")
        sp.add_argument("--epochs", type=int, default=2)
        sp.add_argument("--seed", type=int, default=42)
    sp = sub.add_parser("csv-load", help="time pandas.read_csv on the training CSV")
    common(sp)
    sp.add_argument("--csv", default="data/fashion-mnist/train.csv")
    sp.add_argument("--source", choices=("csv", "idx", "auto"), default="csv",
                    help="idx: time a temporary CSV written from the IDX files; "
                         "auto: the CSV if it exists, else idx")
    sp.add_argument("--repeats", type=int, default=3)
    sp = sub.add_parser("sgemm", help="numpy float32 matmul GFLOP/s: 1024^3 and the MLP's shapes")
    common(sp)
    args = p.parse_args(argv)
    if args.threads is None:
        args.threads = all_cores()
    if args.threads < 1:
        p.error("--threads must be >= 1")
    if getattr(args, "epochs", 1) < 1:
        p.error("--epochs must be >= 1")
    if args.command in ("mlp", "cnn", *RNN_GATES):
        args.workload = args.command
    return args


def main(argv):
    args = parse(argv)
    set_thread_env(args.threads)
    real_stdout = None
    if args.json:
        # Keep stdout for the JSON document alone: anything the frameworks print,
        # from Python or from C++, goes to stderr meanwhile.
        sys.stdout.flush()
        real_stdout = os.dup(1)
        os.dup2(2, 1)
    try:
        if args.command in ("mlp", "cnn"):
            out, human = cmd_train(args)
        elif args.command in RNN_GATES:
            out, human = cmd_recurrent(args)
        elif args.command == "csv-load":
            out, human = cmd_csv_load(args)
        else:
            out, human = cmd_sgemm(args)
    except UsageError as e:
        log(f"peers.py: {e}")
        return 2
    except Exception as e:  # noqa: BLE001 - report, exit 1
        import traceback
        traceback.print_exc()
        log(f"peers.py: {args.command} failed: {e}")
        return 1
    finally:
        if real_stdout is not None:
            sys.stdout.flush()
            os.dup2(real_stdout, 1)
            os.close(real_stdout)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(human)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
