#!/usr/bin/env bash
# Sets up the benchmark peers in virtual environments under bench/ (idempotent):
#   .venv-jax    Python >= 3.12 with jax[cpu] and NumPy (JAX >= 0.11 needs Python 3.12)
#   .venv-torch  Python 3.11 with the CPU build of PyTorch from pip's local wheel folder (PyPI's
#                default torch is a CUDA build that does not import here) and NumPy
# A peer that cannot be installed is reported as unavailable; the harness runs without it.
set -uo pipefail
cd "$(dirname "$0")"

python_for() {
  for candidate in "$@"; do
    for path in "$HOME/.pyenv/versions/$candidate"*/bin/python3 "/root/.pyenv/versions/$candidate"*/bin/python3 "$(command -v python$candidate 2>/dev/null)"; do
      [ -x "$path" ] && { echo "$path"; return 0; }
    done
  done
  return 1
}

make_venv() {
  local dir=$1 python=$2; shift 2
  if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$CHECK" 2>/dev/null; then
    echo "setup: $dir ready"
    return 0
  fi
  "$python" -m venv "$dir" && "$dir/bin/pip" install -q "$@" && "$dir/bin/python" -c "$CHECK" \
    && echo "setup: $dir installed" || { echo "setup: $dir unavailable"; rm -rf "$dir"; return 1; }
}

if py312=$(python_for 3.12 3.13); then
  CHECK="import jax, numpy; jax.jit(jax.grad(lambda x: (x ** 3).sum()))(numpy.ones(3))"
  make_venv .venv-jax "$py312" "jax[cpu]" numpy
else
  echo "setup: no Python >= 3.12, JAX unavailable"
fi
if py311=$(python_for 3.11); then
  CHECK="import torch, numpy; torch.ones(3).sum().item()"
  make_venv .venv-torch "$py311" torch numpy
else
  echo "setup: no Python 3.11, PyTorch unavailable"
fi
exit 0
