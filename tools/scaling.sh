#!/usr/bin/env bash
# docs/scaling.md's measurement: the bench MLP and CNN (specs/bench/) on 1 rank x 1 thread
# and on 2 ranks x 1 thread, Fashion-MNIST (make data-csv), the release binary (make release).
# Prints one markdown row per run: samples/s of the last epoch, and under mpirun the step time,
# the all-reduce time in it (waiting for the slower rank included) and the bytes per step.
set -euo pipefail
BIN=${BIN:-.build/release/nnreg}
# How mpirun places the ranks; on a busy machine try "--bind-to none --mca mpi_yield_when_idle 1".
read -r -a MPIRUN_OPTIONS <<<"${MPIRUN_OPTIONS:---bind-to core}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| workload | ranks x threads | samples/s | ms per step | all-reduce ms per step | share | MB all-reduced per step |"
echo "|---|---|---|---|---|---|---|"
for w in mlp:2 cnn:1; do
  name=${w%:*} epochs=${w#*:}
  for ranks in 1 2; do
    if [ "$ranks" = 1 ]; then
      "$BIN" train "specs/bench/$name.json" --set training.threads=1 --epochs "$epochs" --output "$out/$name-1" >"$out/log"
    else
      mpirun -np 2 "${MPIRUN_OPTIONS[@]}" "$BIN" train "specs/bench/$name.json" --set training.threads=1 --epochs "$epochs" \
        --output "$out/$name-2" >"$out/log"
    fi
    python3 - "$out/$name-$ranks/history.json" "$out/log" "$name" "$ranks" <<'PY'
import json, re, sys
history, log, name, ranks = sys.argv[1:]
last = json.load(open(history))[-1]
samples = 54000  # 60,000 training images, test_split 0.1
steps = -(-samples // 128)
line = re.search(r"(\d+) ranks: [\d,]+ steps, ([\d.]+) MB all-reduced per step in \d+ calls, ([\d.]+) of ([\d.]+) ms per step \((\d+)%\)",
                 open(log).read().replace("\r", "\n"))
if line:
    mb, comm, step, share = line.group(2), line.group(3), line.group(4), line.group(5) + "%"
else:
    mb, comm, step, share = "-", "-", "%.2f" % (last["seconds"] / steps * 1e3), "-"
print(f"| {name.upper()} | {ranks} x 1 | {samples / last['seconds']:,.0f} | {step} | {comm} | {share} | {mb} |")
PY
  done
done
