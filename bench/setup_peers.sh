#!/usr/bin/env bash
# Installs nnreg's benchmark peers into a virtualenv: Keras 3 on tensorflow-cpu, PyTorch
# (CPU), pandas, numpy and scipy, all from PyPI. See bench/README.md.
#
# Usage: bash bench/setup_peers.sh        (from the repository root, or from anywhere)
# Environment:
#   BENCH_VENV     virtualenv folder (default: .venv-bench in the repository root)
#   PYTHON         interpreter that creates the virtualenv (default: python3, >= 3.10)
#   TORCH_SOURCE   pypi (default): torch==$TORCH_VERSION from PyPI. PyPI's Linux x86_64
#                    wheel is a CUDA build: it is first installed with --no-deps plus its
#                    pure-Python dependencies, and kept if `import torch` and a matmul
#                    work; otherwise (the case for every torch 2.x wheel on Linux x86_64)
#                    its nvidia-*/cuda-*/triton dependencies are added: ~2.8 GB of
#                    downloads, ~5.4 GB installed.
#                  local: a CPU-only wheel already on this machine (TORCH_WHEEL, or the
#                    newest torch-*+cpu wheel for this Python in TORCH_WHEEL_DIR,
#                    default /opt/wheels): ~190 MB wheel, ~0.7 GB installed, no CUDA.
#                  auto: local if such a wheel exists, else pypi.
#   TORCH_VERSION  default 2.15.0 (the version the targets were set against)
#   TF_VERSION     default 2.21.0;  KERAS_SPEC  default keras==3.15.*
#
# Idempotent: whatever is already installed and working is left alone. Exit status 0 when
# every peer imports and runs, 1 otherwise (with a message saying what failed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BENCH_VENV:-$ROOT/.venv-bench}"
PYTHON="${PYTHON:-python3}"
TF_VERSION="${TF_VERSION:-2.21.0}"
KERAS_SPEC="${KERAS_SPEC:-keras==3.15.*}"
TORCH_VERSION="${TORCH_VERSION:-2.15.0}"
TORCH_SOURCE="${TORCH_SOURCE:-pypi}"
TORCH_WHEEL_DIR="${TORCH_WHEEL_DIR:-/opt/wheels}"
# torch's Requires-Dist without the CUDA ones (and without setuptools, which venv's pip
# brings and torch only needs for torch.utils.cpp_extension).
TORCH_PURE_DEPS=(filelock "typing-extensions>=4.10.0" "sympy>=1.13.3" "networkx>=2.5.1" jinja2 "fsspec>=0.8.5")

say() { echo "setup_peers: $*"; }
die() { echo "setup_peers: error: $*" >&2; exit 1; }

case "$TORCH_SOURCE" in pypi|local|auto) ;; *) die "TORCH_SOURCE must be pypi, local or auto (got '$TORCH_SOURCE')";; esac

# --- 1. the virtualenv ---------------------------------------------------------------
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON=...)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "$PYTHON is $("$PYTHON" -V 2>&1); tensorflow $TF_VERSION needs Python >= 3.10"
PY="$VENV/bin/python"
if [ -x "$PY" ] && "$PY" -m pip --version >/dev/null 2>&1; then
  say "virtualenv $VENV exists ($("$PY" -V 2>&1))"
else
  say "creating virtualenv $VENV with $("$PYTHON" -V 2>&1)"
  "$PYTHON" -m venv "$VENV" || die "could not create $VENV (is the venv module installed? Debian: apt-get install python3-venv)"
fi
PIP=("$PY" -m pip --disable-pip-version-check)
INSTALL=("${PIP[@]}" install --progress-bar off)

# version_of NAME: prints the installed distribution's version, or nothing.
version_of() {
  "$PY" - "$1" <<'EOF' 2>/dev/null || true
import sys
from importlib import metadata
try:
    print(metadata.version(sys.argv[1]))
except metadata.PackageNotFoundError:
    pass
EOF
}

find_local_wheel() {
  if [ -n "${TORCH_WHEEL:-}" ]; then
    [ -f "$TORCH_WHEEL" ] || die "TORCH_WHEEL=$TORCH_WHEEL: no such file"
    echo "$TORCH_WHEEL"; return
  fi
  local tag
  tag="$("$PY" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"
  # newest version last: sort -V on the file names
  ls "$TORCH_WHEEL_DIR"/torch-*+cpu-"$tag"-"$tag"-*"$(uname -m)".whl 2>/dev/null | sort -V | tail -n 1 || true
}

if [ "$TORCH_SOURCE" = local ]; then  # fail before the big downloads
  early_wheel="$(find_local_wheel)" || exit 1
  [ -n "$early_wheel" ] || die "TORCH_SOURCE=local: no torch-*+cpu wheel for this Python in $TORCH_WHEEL_DIR (set TORCH_WHEEL=...)"
fi

# --- 2. tensorflow-cpu, keras, pandas, numpy ---------------------------------------------
want=()
tf_have="$(version_of tensorflow-cpu)"
[ "$tf_have" = "$TF_VERSION" ] || want+=("tensorflow-cpu==$TF_VERSION")
keras_have="$(version_of keras)"
keras_prefix="${KERAS_SPEC#keras==}"; keras_prefix="${keras_prefix%\*}"
if [ -z "$keras_have" ] || [ "${keras_have#"$keras_prefix"}" = "$keras_have" ]; then want+=("$KERAS_SPEC"); fi
[ -n "$(version_of pandas)" ] || want+=(pandas)
[ -n "$(version_of numpy)" ] || want+=(numpy)
# scipy: ImageDataGenerator's transforms (bench/augment_keras.py) need it
[ -n "$(version_of scipy)" ] || want+=(scipy)
if [ ${#want[@]} -gt 0 ]; then
  say "installing ${want[*]}"
  "${INSTALL[@]}" "${want[@]}" || die "pip install ${want[*]} failed"
else
  say "tensorflow-cpu $tf_have, keras $keras_have, pandas $(version_of pandas), numpy $(version_of numpy), scipy $(version_of scipy): already installed"
fi

# --- 3. torch ------------------------------------------------------------------------
torch_works() {  # import torch and multiply two matrices on the CPU
  "$PY" -c 'import torch; a = torch.ones(64, 64); assert float((a @ a)[0, 0]) == 64.0' >/dev/null 2>&1
}
torch_error() { "$PY" -c 'import torch; a = torch.ones(64, 64); a @ a' 2>&1 | tail -n 1 | cut -c1-160; }


torch_have="$(version_of torch)"
if [ -n "$torch_have" ] && torch_works; then
  say "torch $torch_have: already installed and working"
else
  source="$TORCH_SOURCE"
  wheel=""
  if [ "$source" != pypi ]; then
    wheel="$(find_local_wheel)" || exit 1
    if [ -z "$wheel" ]; then
      [ "$source" = local ] && die "TORCH_SOURCE=local: no torch-*+cpu wheel for this Python in $TORCH_WHEEL_DIR (set TORCH_WHEEL=...)"
      say "no local CPU-only torch wheel in $TORCH_WHEEL_DIR: using PyPI"
      source=pypi
    else
      source=local
    fi
  fi
  if [ "$source" = local ]; then
    say "installing the CPU-only wheel $wheel (and its pure-Python dependencies)"
    [ -n "$torch_have" ] && "${PIP[@]}" uninstall -y torch
    "${INSTALL[@]}" "$wheel" || die "pip install $wheel failed"
    torch_works || die "torch from $wheel does not work: $(torch_error)"
  else
    if [ "$torch_have" != "$TORCH_VERSION" ]; then
      say "installing torch==$TORCH_VERSION from PyPI without dependencies (~540 MB), plus ${TORCH_PURE_DEPS[*]}"
      "${INSTALL[@]}" --no-deps "torch==$TORCH_VERSION" || die "pip install torch==$TORCH_VERSION failed"
      "${INSTALL[@]}" "${TORCH_PURE_DEPS[@]}" || die "pip install ${TORCH_PURE_DEPS[*]} failed"
    fi
    if torch_works; then
      say "torch $TORCH_VERSION works without CUDA libraries"
    else
      say "torch without its CUDA libraries fails ($(torch_error))"
      say "installing torch==$TORCH_VERSION with its nvidia-*/cuda-*/triton dependencies: ~2.8 GB to download, ~5.4 GB installed"
      "${INSTALL[@]}" "torch==$TORCH_VERSION" || die "pip install torch==$TORCH_VERSION failed"
      torch_works || die "torch $TORCH_VERSION does not work even with its dependencies: $(torch_error)"
    fi
  fi
fi

# --- 4. check everything ---------------------------------------------------------------
say "checking the peers"
KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=2 "$PY" - <<'EOF' || die "a peer does not import or run (see above); delete the virtualenv and run again to start afresh"
import numpy, pandas, scipy, tensorflow as tf, keras, torch
x = numpy.ones((64, 64), dtype=numpy.float32)
assert float((tf.constant(x) @ tf.constant(x))[0, 0]) == 64.0
assert float((torch.from_numpy(x) @ torch.from_numpy(x))[0, 0]) == 64.0
assert keras.backend.backend() == "tensorflow"
print(f"setup_peers: ok: tensorflow {tf.__version__}, keras {keras.__version__}, torch {torch.__version__}, "
      f"pandas {pandas.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}")
EOF
say "virtualenv size: $(du -sh "$VENV" 2>/dev/null | cut -f1)  (run peers with $VENV/bin/python bench/peers.py ...)"
