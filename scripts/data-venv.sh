#!/usr/bin/env bash
# Makes (idempotently) the Python environment the data tests and examples use to write and read
# files with NumPy, safetensors and scikit-learn (whose bundled 8x8 digits the examples train
# on): .venv-data at the top of the repository. Prints its python's path; exits 1 if PyPI
# cannot be reached.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv-data
check="import numpy, safetensors.numpy, sklearn.datasets"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  echo "$PWD/$venv/bin/python"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q numpy safetensors scikit-learn >&2 \
  && "$venv/bin/python" -c "$check" && echo "$PWD/$venv/bin/python" && exit 0
rm -rf "$venv"
echo "data-venv: numpy, safetensors and scikit-learn could not be installed from PyPI" >&2
exit 1
