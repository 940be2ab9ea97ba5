#!/usr/bin/env python3
"""make bench: nnreg's figures and the peers' (Keras on TF-CPU, PyTorch), side by side, in one run.

Usage: python3 bench/bench.py [--epochs N] [--skip-peers] [--out DIR]
Runs from the repository root after `make release data`. The peers come from
bench/run_peers.sh (skipped with a note when .venv-bench is missing: `make bench-peers`).
Prints a Markdown report and writes it to DIR/report.md (default .build/bench).
Machines are noisy: compare the ratios of one run, not figures from different runs.
Standard library only.
"""
import argparse
import json
import os
import platform
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NNREG = os.path.join(ROOT, ".build/release/nnreg")
MLP_FLOP = 1.4e6  # training FLOP per sample, 3x the forward FLOPs
TRAIN_SAMPLES = 54000


def run(cmd, env=None):
    """Runs cmd; returns (stdout, wall seconds, peak RSS MB of the command, from /usr/bin/time)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb %M"] + cmd, capture_output=True, text=True,
                       env={**os.environ, **(env or {})}, cwd=ROOT)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    rss = [l for l in p.stderr.splitlines() if l.startswith("maxrss_kb ")]
    return p.stdout, wall, (int(rss[-1].split()[1]) / 1024 if rss else None)


def spec_variant(path, data=None, **training):
    """A temporary copy of a spec with data and training options changed (paths made absolute)."""
    with open(path) as f:
        s = json.load(f)
    base = os.path.dirname(os.path.abspath(path))
    for k in ("train", "validation", "test"):
        if s["data"].get(k):
            s["data"][k] = os.path.normpath(os.path.join(base, s["data"][k]))
    s["data"].update(data or {})
    s["training"].update(training)
    fd, out = tempfile.mkstemp(suffix=".json", prefix="nnreg-bench-")
    with os.fdopen(fd, "w") as f:
        json.dump(s, f)
    return out


def train_run(spec, runner, flags, data=None, **training):
    """`nnreg train` on a temporary copy of `spec` (data and training options changed) into a
    temporary run folder, through `runner` (run or run_on_terminal); returns what the runner
    returns and the run's history."""
    path = spec_variant(spec, data=data, **training)
    outdir = tempfile.mkdtemp(prefix="nnreg-bench-run-")
    try:
        result = runner([NNREG, "train", path, "--output", outdir, "--overwrite"] + flags)
        with open(os.path.join(outdir, "history.json")) as f:
            history = json.load(f)
    finally:
        os.unlink(path)
        subprocess.run(["rm", "-rf", outdir])
    return result, history


def nnreg_train(spec, epochs, threads=None):
    """Trains; returns steady-state samples/s (epochs after the first), test accuracy, wall, peak RSS."""
    training = {"epochs": epochs}
    if threads:
        training["threads"] = threads
    (out, wall, rss), history = train_run(spec, run, ["--quiet", "--json"], **training)
    seconds = [h["seconds"] for h in history]
    steady = seconds[1:] or seconds
    doc = json.loads(out)
    return {"samples_per_second": TRAIN_SAMPLES / (sum(steady) / len(steady)), "epoch_seconds": seconds,
            "test_accuracy": (doc.get("test") or {}).get("accuracy"), "wall": wall, "peak_rss_mb": rss}


def run_on_terminal(cmd):
    """Runs cmd with stdout on a pseudo-terminal, so nnreg draws its live progress bar;
    returns (seconds until the first bar, i.e. the first batch trained; wall; peak RSS MB)."""
    rss_file = tempfile.mktemp(prefix="nnreg-bench-rss-")
    master, slave = pty.openpty()
    t0 = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-o", rss_file, "-f", "maxrss_kb %M"] + cmd, stdout=slave,
                         stderr=subprocess.PIPE, cwd=ROOT)
    os.close(slave)
    first, tail = None, b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        tail = (tail + chunk)[-4096:]
        if first is None and b"epoch 1/" in tail:
            first = time.perf_counter() - t0
    err = p.stderr.read().decode()
    p.wait()
    wall = time.perf_counter() - t0
    os.close(master)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{err}")
    with open(rss_file) as f:
        rss = [l for l in f.read().splitlines() if l.startswith("maxrss_kb ")]
    os.unlink(rss_file)
    return first, wall, (int(rss[-1].split()[1]) / 1024 if rss else None)


def synthetic_images(folder, count, log):
    """The seeded JPEG folder of the streaming rows (nnreg bench images), written once and
    kept under .build/bench; a folder an interrupted run left is written again."""
    if os.path.exists(os.path.join(folder, ".complete")):
        return
    if os.path.exists(folder):
        if not os.path.exists(os.path.join(folder, ".nnreg-synthetic")):
            sys.exit(f"bench: {folder} exists and was not written by nnreg bench images; move it away")
        shutil.rmtree(folder)
    log(f"writing {count:,} synthetic JPEGs to {folder} (once)")
    run([NNREG, "bench", "images", folder, "--count", str(count), "--size", "160"])


def nnreg_stream(folder, cache, epochs):
    """The streaming CNN on `folder` with data.cache `cache`: images/s of the last epoch,
    seconds to the first trained batch, wall and peak RSS."""
    (first, wall, rss), history = train_run(
        "specs/bench/stream.json", run_on_terminal, [], data={"train": folder, "cache": cache}, epochs=epochs)
    images = sum(1 for _, _, files in os.walk(folder) for name in files if name.endswith(".jpg"))
    return {"images_per_second": images / history[-1]["seconds"], "epoch_seconds": [h["seconds"] for h in history],
            "first_batch_seconds": first, "wall": wall, "peak_rss_mb": rss}


def repeated_csv(path, source, copies, log):
    """`source`'s rows `copies` times under its header (the CSV streaming rows), written once
    under .build/bench and renamed into place when complete."""
    if os.path.exists(path):
        return
    log(f"writing {copies} copies of {source} to {path} (once)")
    with open(source, "rb") as f:
        header, body = f.readline(), f.read()
    with open(path + ".part", "wb") as f:
        f.write(header)
        for _ in range(copies):
            f.write(body)
    os.rename(path + ".part", path)


def nnreg_stream_csv(path, cache, rows):
    """The benchmark MLP trained one epoch on the CSV `path` of `rows` rows with data.cache
    `cache`: samples/s, seconds to the first trained batch, wall and peak RSS."""
    (first, wall, rss), history = train_run(
        "specs/bench/mlp.json", run_on_terminal, [], data={"train": path, "cache": cache}, epochs=1)
    trained = rows * 0.9  # mlp.json holds out test_split 0.1
    return {"samples_per_second": trained / history[-1]["seconds"], "epoch_seconds": [h["seconds"] for h in history],
            "first_batch_seconds": first, "wall": wall, "peak_rss_mb": rss}


def at_least(a, b, factor):
    """a >= factor * b, or None when a figure is missing."""
    return None if a is None or b is None else a >= factor * b


def target_row(name, value, unit, ok):
    verdict = "no peer figure" if ok is None else ("met" if ok else "**missed**")
    return f"| {name} | {value}{' ' + unit if unit else ''} | {verdict} |"


def load_peer(out, name):
    try:
        with open(os.path.join(out, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def peer_wall(out, name):
    try:
        with open(os.path.join(out, name + ".wall_ms")) as f:
            return int(f.read()) / 1000
    except (OSError, ValueError):
        return None


def fmt(x, spec="{:,.0f}"):
    return "–" if x is None else spec.format(x)


def ratio(a, b, higher_is_better=True):
    if a is None or b is None or a == 0 or b == 0:
        return "–"
    return f"{(a / b if higher_is_better else b / a):.2f}x"


# ---- Recurrent rows: the LSTM workload and its GRU twin. ----
# specs/bench/lstm.json and gru.json on data/sines/sines.csv (tools/sines_series.py, written
# here when missing); the peers run the same workload (bench/peers.py lstm|gru). Sequences/s
# = training windows per epoch / steady-state epoch seconds; % of the sgemm peak from the
# training FLOPs per sequence (3x the forward multiply-adds x2; bench/peers.py rnn_train_flops).
SINES = os.path.join(ROOT, "data/sines/sines.csv")
RNN_TRAIN_WINDOWS = 17940  # 20,000 rows, the last 2,000 held out (validation_split 0.1), windows of 60
RNN_FLOP = {"lstm": 25.27e6, "gru": 18.95e6, "simple_rnn": 6.32e6}


def recurrent_nnreg(epochs, log):
    """nnreg's LSTM workload and its GRU and simple_rnn twins: {workload: {sequences_per_second, ...}}."""
    if not os.path.exists(SINES):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools/sines_series.py"), SINES], check=True)
    out = {}
    for w in RNN_FLOP:
        log(f"{w} (recurrent)")
        r = nnreg_train(f"specs/bench/{w}.json", max(2, epochs - 1))
        steady = r["epoch_seconds"][1:] or r["epoch_seconds"]
        r["sequences_per_second"] = RNN_TRAIN_WINDOWS / (sum(steady) / len(steady))
        del r["samples_per_second"], r["test_accuracy"]
        out[w] = r
    return out


def recurrent_rows(rnn, peers_dir, peak):
    """The report's recurrent rows and notes (Markdown)."""
    rows, notes = [], []
    for w in RNN_FLOP:
        ours = rnn[w]["sequences_per_second"]
        torch, keras = load_peer(peers_dir, f"{w}-torch"), load_peer(peers_dir, f"{w}-keras")
        theirs = [d.get("sequences_per_second") if d else None for d in (torch, keras)]
        rows.append(f"| {w} training (4 x {w}(50), window 60, batch 256), sequences/s | {fmt(ours)} | "
                    f"{fmt(theirs[0])} | {fmt(theirs[1])} | {ratio(ours, theirs[0])} | {ratio(ours, theirs[1])} |")
        gflops = ours * RNN_FLOP[w] / 1e9
        peer_pct = ", ".join(f"{name} {100 * v * RNN_FLOP[w] / 1e9 / peak:.0f}%"
                             for name, v in zip(("PyTorch", "Keras"), theirs) if v)
        notes.append(f"- nnreg {w} achieves {gflops:.1f} GFLOP/s = {100 * gflops / peak:.0f}% of the sgemm peak "
                     f"({RNN_FLOP[w] / 1e6:.1f} MFLOP per training sequence){'; ' + peer_pct if peer_pct else ''}. "
                     f"Epoch seconds: {rnn[w]['epoch_seconds']}.")
    return rows, notes
# ---- end of the recurrent rows ----


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3, help="training epochs per run (the first is warm-up)")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, ".build/bench"))
    args = ap.parse_args()
    if not os.access(NNREG, os.X_OK):
        sys.exit("bench: build first (make release)")
    os.makedirs(args.out, exist_ok=True)
    cores = os.cpu_count()
    log = lambda msg: print(f"bench: {msg}", file=sys.stderr, flush=True)

    log("sgemm")
    sgemm = json.loads(run([NNREG, "bench", "sgemm"])[0])
    log("csv load")
    csv = json.loads(run([NNREG, "bench", "csv", "data/fashion-mnist/train.csv"])[0])
    log("image decode, augmentation")
    png = os.path.join(ROOT, "data/fashion-mnist-png/train")
    decode = json.loads(run([NNREG, "bench", "decode", png])[0]) if os.path.isdir(png) else None
    augment = json.loads(run([NNREG, "bench", "augment"])[0])
    log("MLP, all threads")
    mlp = nnreg_train("specs/bench/mlp.json", args.epochs)
    log("MLP, 1 thread")
    mlp1 = nnreg_train("specs/bench/mlp.json", args.epochs, threads=1)
    log("CNN")
    cnn = nnreg_train("specs/bench/cnn.json", max(2, args.epochs - 1))
    log("whole command, 1 MLP epoch")
    whole = nnreg_train("specs/bench/mlp.json", 1)
    big, small = os.path.join(args.out, "jpeg-100k"), os.path.join(args.out, "jpeg-10k")
    synthetic_images(big, 100_000, log)
    synthetic_images(small, 10_000, log)
    log("streaming CNN: 100k JPEGs, data.cache none")
    stream = nnreg_stream(big, "none", 1)
    log("streaming CNN: 10k JPEGs, data.cache memory and none, 2 epochs each")
    stream_memory = nnreg_stream(small, "memory", 2)
    stream_none = nnreg_stream(small, "none", 2)
    decode_jpeg = json.loads(run([NNREG, "bench", "decode", small, "--color-mode", "rgb"])[0])
    big_csv = os.path.join(args.out, "fashion-x10.csv")
    repeated_csv(big_csv, os.path.join(ROOT, "data/fashion-mnist/train.csv"), 10, log)
    log("streaming MLP: the training CSV x10 (1.3 GB), data.cache none and memory, 1 epoch each")
    csv_none = nnreg_stream_csv(big_csv, "none", 600_000)
    csv_memory = nnreg_stream_csv(big_csv, "memory", 600_000)
    rnn = recurrent_nnreg(args.epochs, log)

    with open(os.path.join(args.out, "nnreg.json"), "w") as f:  # kept for a look after the run
        json.dump({"sgemm": sgemm, "csv": csv, "decode": decode, "augment": augment, "mlp": mlp, "mlp_1_thread": mlp1,
                   "cnn": cnn, "whole": whole, "stream_100k": stream, "stream_10k_memory": stream_memory,
                   "stream_10k_none": stream_none, "decode_jpeg_10k": decode_jpeg, "csv_x10_none": csv_none,
                   "csv_x10_memory": csv_memory, "recurrent": rnn}, f, indent=1)
    peers_dir = os.path.join(args.out, "peers")
    if not args.skip_peers:
        log("peers (bench/run_peers.sh)")
        p = subprocess.run(["bash", "bench/run_peers.sh", peers_dir], cwd=ROOT, capture_output=True, text=True,
                           env={**os.environ, "BENCH_EPOCHS": str(max(2, args.epochs - 1))})
        print(p.stdout, file=sys.stderr)
    torch_mlp, keras_mlp = load_peer(peers_dir, "mlp-torch"), load_peer(peers_dir, "mlp-keras")
    torch_cnn, keras_cnn = load_peer(peers_dir, "cnn-torch"), load_peer(peers_dir, "cnn-keras")
    pandas = load_peer(peers_dir, "csv-load")
    keras_aug = load_peer(peers_dir, "augment-keras")
    keras_aug_ips = ((keras_aug or {}).get("results", {}).get("image_data_generator") or {}).get("images_per_second")
    peak = sgemm["1024x1024x1024"]
    achieved = mlp["samples_per_second"] * MLP_FLOP / 1e9

    g = lambda d, k: d.get(k) if d else None
    rnn_rows, rnn_notes = recurrent_rows(rnn, peers_dir, peak)
    lines = [
        f"# nnreg benchmark ({time.strftime('%Y-%m-%d %H:%M')}, {platform.processor() or platform.machine()}, {cores} cores)",
        "",
        f"Command: `make bench` (python3 bench/bench.py --epochs {args.epochs}). Steady-state throughput excludes the first epoch.",
        "",
        "| figure | nnreg | PyTorch | Keras | nnreg vs PyTorch | nnreg vs Keras |",
        "|---|---|---|---|---|---|",
        f"| MLP training, samples/s | {fmt(mlp['samples_per_second'])} | {fmt(g(torch_mlp, 'samples_per_second'))} | {fmt(g(keras_mlp, 'samples_per_second'))} | {ratio(mlp['samples_per_second'], g(torch_mlp, 'samples_per_second'))} | {ratio(mlp['samples_per_second'], g(keras_mlp, 'samples_per_second'))} |",
        f"| CNN training, samples/s | {fmt(cnn['samples_per_second'])} | {fmt(g(torch_cnn, 'samples_per_second'))} | {fmt(g(keras_cnn, 'samples_per_second'))} | {ratio(cnn['samples_per_second'], g(torch_cnn, 'samples_per_second'))} | {ratio(cnn['samples_per_second'], g(keras_cnn, 'samples_per_second'))} |",
        f"| MLP peak memory (max RSS), MB | {fmt(mlp['peak_rss_mb'])} | {fmt(g(torch_mlp, 'peak_rss_mb'))} | {fmt(g(keras_mlp, 'peak_rss_mb'))} | {ratio(mlp['peak_rss_mb'], g(torch_mlp, 'peak_rss_mb'), False)} | {ratio(mlp['peak_rss_mb'], g(keras_mlp, 'peak_rss_mb'), False)} |",
        f"| CNN peak memory (max RSS, from the PNG folders), MB | {fmt(cnn['peak_rss_mb'])} | {fmt(g(torch_cnn, 'peak_rss_mb'))} | {fmt(g(keras_cnn, 'peak_rss_mb'))} | {ratio(cnn['peak_rss_mb'], g(torch_cnn, 'peak_rss_mb'), False)} | {ratio(cnn['peak_rss_mb'], g(keras_cnn, 'peak_rss_mb'), False)} |",
        f"| streaming CNN, 100k JPEGs 160x160x3 (data.cache none), images/s | {fmt(stream['images_per_second'])} | | | | |",
        f"| streaming CNN, 100k JPEGs, peak memory (max RSS), MB | {fmt(stream['peak_rss_mb'])} | | | | |",
        f"| streaming CNN, 100k JPEGs, first batch trained after, s | {fmt(stream['first_batch_seconds'], '{:.2f}')} | | | | |",
        f"| streaming MLP, training CSV x10 (1.3 GB, 600k rows; data.cache none), samples/s | {fmt(csv_none['samples_per_second'])} | | | | |",
        f"| streaming MLP, CSV x10, peak memory (max RSS), MB | {fmt(csv_none['peak_rss_mb'])} | | | | |",
        f"| streaming MLP, CSV x10, first batch trained after, s | {fmt(csv_none['first_batch_seconds'], '{:.2f}')} | | | | |",
        f"| whole command, 1 MLP epoch, s | {fmt(whole['wall'], '{:.1f}')} | {fmt(peer_wall(peers_dir, 'whole-mlp-torch'), '{:.1f}')} | {fmt(peer_wall(peers_dir, 'whole-mlp-keras'), '{:.1f}')} | {ratio(whole['wall'], peer_wall(peers_dir, 'whole-mlp-torch'), False)} | {ratio(whole['wall'], peer_wall(peers_dir, 'whole-mlp-keras'), False)} |",
        f"| CSV load 60k x 785, s | {fmt(csv['seconds'], '{:.2f}')} | | pandas {fmt(g(pandas, 'best_seconds'), '{:.2f}')} | | {ratio(csv['seconds'], g(pandas, 'best_seconds'), False)} vs pandas |",
        f"| augmentation 28x28x1, images/s (1 thread) | {fmt(augment['images_per_second'])} | | ImageDataGenerator {fmt(keras_aug_ips)} | | {ratio(augment['images_per_second'], keras_aug_ips)} |",
        f"| PNG decode 60k 28x28 folder, images/s | {fmt(g(decode, 'images_per_second'))} | | | | |",
        *rnn_rows,
        "",
        f"- sgemm measured in this run: {peak} GFLOP/s at 1024^3 ({sgemm['threads']} threads); MLP shapes: "
        + ", ".join(f"{k} {v}" for k, v in sgemm.items() if k not in ("1024x1024x1024", "threads")) + " GFLOP/s.",
        f"- nnreg MLP achieves {achieved:.0f} GFLOP/s = {100 * achieved / peak:.0f}% of that sgemm peak "
        f"({MLP_FLOP / 1e6} MFLOP per training sample).",
        f"- nnreg MLP on 1 thread: {fmt(mlp1['samples_per_second'])} samples/s; on {cores}: {fmt(mlp['samples_per_second'])} "
        f"({ratio(mlp['samples_per_second'], mlp1['samples_per_second'])}).",
        f"- Epoch seconds: MLP {mlp['epoch_seconds']}, CNN {cnn['epoch_seconds']}.",
        f"- Streaming, where the time goes (10k of the same JPEGs, second epoch): data.cache memory "
        f"{fmt(stream_memory['images_per_second'])} images/s (training only: decoded once, before the first epoch), "
        f"data.cache none {fmt(stream_none['images_per_second'])} images/s (decoding every epoch); decoding alone "
        f"{fmt(decode_jpeg['images_per_second'])} images/s on all threads. Peak RSS {fmt(stream_memory['peak_rss_mb'])} MB "
        f"(memory) vs {fmt(stream_none['peak_rss_mb'])} MB (none); first batch after "
        f"{fmt(stream_memory['first_batch_seconds'], '{:.2f}')} s vs {fmt(stream_none['first_batch_seconds'], '{:.2f}')} s.",
        f"- The same CSV x10 in memory (data.cache memory): {fmt(csv_memory['samples_per_second'])} samples/s, peak RSS "
        f"{fmt(csv_memory['peak_rss_mb'])} MB, first batch after {fmt(csv_memory['first_batch_seconds'], '{:.2f}')} s "
        f"(streamed: {fmt(csv_none['samples_per_second'])} samples/s, {fmt(csv_none['peak_rss_mb'])} MB, "
        f"{fmt(csv_none['first_batch_seconds'], '{:.2f}')} s).",
        *rnn_notes,
    ]
    torch_whole = peer_wall(peers_dir, "whole-mlp-torch")
    lines += ["", "| target | measured | |", "|---|---|---|"] + [
        target_row(name, value, shown, ok) for name, value, shown, ok in [
            ("MLP >= 1.5x PyTorch samples/s", ratio(mlp["samples_per_second"], g(torch_mlp, "samples_per_second")),
             None, at_least(mlp["samples_per_second"], g(torch_mlp, "samples_per_second"), 1.5)),
            ("CNN >= 1.5x PyTorch samples/s", ratio(cnn["samples_per_second"], g(torch_cnn, "samples_per_second")),
             None, at_least(cnn["samples_per_second"], g(torch_cnn, "samples_per_second"), 1.5)),
            ("MLP >= 25% of the sgemm peak", f"{100 * achieved / peak:.0f}%", None, achieved >= 0.25 * peak),
            *[row for w in ("lstm", "gru") for row in [
                (f"{w.upper()} >= 1.5x PyTorch sequences/s",
                 ratio(rnn[w]["sequences_per_second"], g(load_peer(peers_dir, f"{w}-torch"), "sequences_per_second")),
                 None, at_least(rnn[w]["sequences_per_second"],
                                g(load_peer(peers_dir, f"{w}-torch"), "sequences_per_second"), 1.5)),
                (f"{w.upper()} >= 25% of the sgemm peak",
                 f"{100 * rnn[w]['sequences_per_second'] * RNN_FLOP[w] / 1e9 / peak:.0f}%", None,
                 rnn[w]["sequences_per_second"] * RNN_FLOP[w] / 1e9 >= 0.25 * peak)]],
            ("MLP peak RSS <= 250 MB", fmt(mlp["peak_rss_mb"]), "MB", mlp["peak_rss_mb"] <= 250),
            ("CNN (PNG folders) peak RSS <= 300 MB", fmt(cnn["peak_rss_mb"]), "MB", cnn["peak_rss_mb"] <= 300),
            ("streaming 100k JPEGs peak RSS <= 1 GB", fmt(stream["peak_rss_mb"]), "MB", stream["peak_rss_mb"] <= 1024),
            ("streaming: first batch within 2 s", fmt(stream["first_batch_seconds"], "{:.2f}"), "s",
             stream["first_batch_seconds"] is not None and stream["first_batch_seconds"] <= 2),
            ("streaming CSV x10 peak RSS <= 1 GB", fmt(csv_none["peak_rss_mb"]), "MB", csv_none["peak_rss_mb"] <= 1024),
            ("streaming CSV: first batch within 2 s", fmt(csv_none["first_batch_seconds"], "{:.2f}"), "s",
             csv_none["first_batch_seconds"] is not None and csv_none["first_batch_seconds"] <= 2),
            ("one MLP epoch as a whole command <= 1/3 of PyTorch's", fmt(whole["wall"], "{:.1f}"),
             f"s vs {fmt(torch_whole, '{:.1f}')} s", at_least(torch_whole, whole["wall"], 3)),
            ("CSV load faster than pandas.read_csv", fmt(csv["seconds"], "{:.2f}"),
             f"s vs {fmt(g(pandas, 'best_seconds'), '{:.2f}')} s", at_least(g(pandas, "best_seconds"), csv["seconds"], 1)),
        ]]
    if args.skip_peers or not (torch_mlp or keras_mlp):
        lines.append("- Peers skipped: install them with `make bench-peers` (Keras/TF-CPU and PyTorch in .venv-bench).")
    report = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
