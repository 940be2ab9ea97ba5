#!/usr/bin/env bash
# Runs every peer benchmark (bench/peers.py, bench/augment_keras.py) and prints a table;
# one JSON file per figure goes to OUT_DIR. A peer that is not installed is skipped with a
# note, and so is everything when the virtualenv is missing (exit 0 then: the peers are
# optional). See bench/README.md.
#
# Usage: bash bench/run_peers.sh [OUT_DIR]        (default OUT_DIR: .build/bench/peers)
# Environment:
#   BENCH_VENV        default .venv-bench (made by bench/setup_peers.sh)
#   BENCH_EPOCHS      epochs per training run (default 2: the first is warm-up, excluded)
#   BENCH_WORKLOADS   default "mlp cnn";  BENCH_FRAMEWORKS  default "keras torch"
#   BENCH_RECURRENT   default "lstm gru simple_rnn" (on data/sines/sines.csv); "" skips them
#   BENCH_SOURCE      csv or idx (default: csv when data/fashion-mnist/train.csv exists)
#   BENCH_THREADS     worker threads (default: all cores)
# Exit status: 0 when every installed peer ran, 1 when one failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
VENV="${BENCH_VENV:-.venv-bench}"
PY="$VENV/bin/python"
OUT="${1:-.build/bench/peers}"
EPOCHS="${BENCH_EPOCHS:-2}"
WORKLOADS="${BENCH_WORKLOADS:-mlp cnn}"
FRAMEWORKS="${BENCH_FRAMEWORKS:-keras torch}"
if [ -z "${BENCH_SOURCE:-}" ]; then
  if [ -f data/fashion-mnist/train.csv ] && [ -f data/fashion-mnist/test.csv ]; then BENCH_SOURCE=csv; else BENCH_SOURCE=idx; fi
fi
COMMON=(--source "$BENCH_SOURCE")
[ -n "${BENCH_THREADS:-}" ] && COMMON+=(--threads "$BENCH_THREADS")

if [ ! -x "$PY" ]; then
  echo "peers: skipped: no $VENV (run 'make bench-peers' or 'bash bench/setup_peers.sh' to install Keras/TF-CPU and PyTorch)"
  exit 0
fi
mkdir -p "$OUT" || exit 1
status=0

# run NAME SCRIPT ARGS...: SCRIPT --json > OUT/NAME.json, messages in OUT/NAME.log
run() {
  local name="$1"; shift
  local t0 t1 rc
  echo "peers: $name ..." >&2
  t0="$(date +%s%N)"
  "$PY" "$@" --json > "$OUT/$name.json" 2> "$OUT/$name.log"
  rc=$?
  t1="$(date +%s%N)"
  echo "$(( (t1 - t0) / 1000000 ))" > "$OUT/$name.wall_ms"
  case $rc in
    0) ;;
    2) echo "peers: $name skipped: $(tail -n 1 "$OUT/$name.log")"; rm -f "$OUT/$name.json" ;;
    *) echo "peers: $name FAILED (exit $rc), see $OUT/$name.log"; rm -f "$OUT/$name.json"; status=1 ;;
  esac
}

for w in $WORKLOADS; do
  for fw in $FRAMEWORKS; do
    run "$w-$fw" bench/peers.py "$w" --framework "$fw" --epochs "$EPOCHS" "${COMMON[@]}"
  done
done
# The recurrent workloads (the series comes from tools/sines_series.py; no --source).
for w in ${BENCH_RECURRENT-lstm gru simple_rnn}; do
  for fw in $FRAMEWORKS; do
    run "$w-$fw" bench/peers.py "$w" --framework "$fw" --epochs "$EPOCHS" ${BENCH_THREADS:+--threads "$BENCH_THREADS"}
  done
done
# The whole command for one MLP epoch, start-up included (its wall time is OUT/NAME.wall_ms).
for fw in $FRAMEWORKS; do
  run "whole-mlp-$fw" bench/peers.py mlp --framework "$fw" --epochs 1 "${COMMON[@]}"
done
if [ "$BENCH_SOURCE" = csv ]; then
  run csv-load bench/peers.py csv-load --csv data/fashion-mnist/train.csv
else
  run csv-load bench/peers.py csv-load --source idx
fi
run sgemm bench/peers.py sgemm ${BENCH_THREADS:+--threads "$BENCH_THREADS"}
run augment-keras bench/augment_keras.py --images 5000 "${COMMON[@]}"

"$PY" - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(out, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
def wall(name):
    try:
        with open(os.path.join(out, name + ".wall_ms")) as f:
            return int(f.read()) / 1000
    except (OSError, ValueError):
        return None
def version(fw, v):
    return f"keras {v['keras']} / tf {v['tensorflow']}" if fw == "keras" else f"torch {v['torch']}"
print(f"{'peer figure':<34} {'value':>14}  notes")
for w in ("mlp", "cnn"):
    for fw in ("keras", "torch"):
        d = load(f"{w}-{fw}")
        if d:
            ver = version(fw, d["versions"])
            print(f"{w} train {fw:<22} {d['samples_per_second']:>9.0f} sa/s  "
                  f"test acc {d['test_accuracy']:.4f}, peak {d['peak_rss_mb']:.0f} MB, "
                  f"{d['threads']} thr, epochs {d['epoch_seconds']} s, {ver}")
for w in ("lstm", "gru", "simple_rnn"):
    for fw in ("keras", "torch"):
        d = load(f"{w}-{fw}")
        if d:
            ver = version(fw, d["versions"])
            print(f"{w} train {fw:<21} {d['sequences_per_second']:>9.0f} seq/s  "
                  f"val loss {d['val_loss']:.5f}, {d['threads']} thr, epochs {d['epoch_seconds']} s, {ver}")
for fw in ("keras", "torch"):
    if load(f"whole-mlp-{fw}") and wall(f"whole-mlp-{fw}") is not None:
        print(f"whole command, 1 MLP epoch, {fw:<5} {wall(f'whole-mlp-{fw}'):>12.1f} s  start-up and data loading included")
d = load("csv-load")
if d:
    print(f"{'csv load, pandas.read_csv':<34} {d['best_seconds']:>12.3f} s  best of {d['repeats']}, {d['rows']} x {d['columns']}")
d = load("sgemm")
if d:
    print(f"{'sgemm 1024^3, numpy float32':<34} {d['gflops_1024']:>8.1f} GFLOP/s  {d['threads']} thr; MLP-shape matmuls {d['gflops_mlp_step']} GFLOP/s")
d = load("augment-keras")
if d:
    for name, r in d["results"].items():
        if r.get("available"):
            print(f"augment {name:<26} {r['images_per_second']:>9.0f} img/s")
EOF
exit $status
