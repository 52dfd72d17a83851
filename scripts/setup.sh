#!/usr/bin/env bash
# Installs what wtool needs and is missing on this machine, and nothing else:
#   - Debian -dev packages the Swift package links or opens (libhdf5, OpenBLAS, oneDNN, libjpeg-turbo, libpng, zlib);
#   - with --python: the Python reference tools (Keras, TensorFlow, tf2onnx, onnxruntime, h5py, …) in a
#     virtual environment shared by checkouts on this machine: $WTOOL_CACHE/venv-<hash of requirements>;
#   - with --keras1: Keras 1.2.2 on Theano (scripts/requirements-keras1.txt) the same way, as .venv-keras1.
# Idempotent: a second run checks and returns in a second.
set -euo pipefail
cd "$(dirname "$0")/.."

WTOOL_CACHE=${WTOOL_CACHE:-$HOME/.cache/wtool}
packages=(libhdf5-dev libopenblas-dev libdnnl-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev pkg-config)
optional=(graphviz g++)  # g++: Theano's kernels for the Keras 1 reference files (--keras1)

missing=()
for p in "${packages[@]}" "${optional[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A virtual environment for a requirements file, shared through $WTOOL_CACHE, linked as $2.
python_env() {
  local requirements=$1 link=$2 what=$3
  local req_hash venv
  req_hash=$(sha256sum "$requirements" | cut -c1-12)
  venv="$WTOOL_CACHE/venv-$req_hash"
  if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    echo "setup: creating $what in $venv (a few minutes, once)" >&2
    rm -rf "$venv"
    mkdir -p "$WTOOL_CACHE"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    touch "$venv/.complete"
  fi
  ln -sfn "$venv" "$link"
}

for arg in "$@"; do
  case "$arg" in
    --python) python_env scripts/requirements.txt .venv "the Python reference environment" ;;
    # Keras 1.2.2 on Theano, for scripts/keras1_reference.py (needs g++ for Theano's kernels).
    --keras1) python_env scripts/requirements-keras1.txt .venv-keras1 "the Keras 1 reference environment" ;;
  esac
done
