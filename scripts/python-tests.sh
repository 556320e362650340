#!/usr/bin/env bash
# The Python package's tests (python/tests) in .venv-python, made idempotently: NumPy, pytest and
# mpi4py from PyPI (Open MPI from Debian for the data-parallel example), the package installed
# from ./python around the debug build of libmindc. Skipped, saying so, only when PyPI cannot be
# reached.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v mpirun >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "python-tests: installing openmpi-bin libopenmpi-dev"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openmpi-bin libopenmpi-dev; } \
    >/dev/null || echo "python-tests: Open MPI could not be installed; the MPI test will be skipped"
fi
venv=.venv-python
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import numpy, pytest, setuptools, wheel" 2>/dev/null; }; then
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q numpy pytest setuptools wheel; }; then
    rm -rf "$venv"
    echo "python-tests: skipped: numpy and pytest could not be installed from PyPI"
    exit 0
  fi
fi
if command -v mpirun >/dev/null 2>&1 && ! "$venv/bin/python" -c "import mpi4py" 2>/dev/null; then
  "$venv/bin/pip" install -q mpi4py || echo "python-tests: mpi4py could not be installed; the MPI test will be skipped"
fi
set -e
swift build --product mindc
MIND_LIBRARY="$PWD/.build/debug/libmindc.so" "$venv/bin/pip" install -q --no-build-isolation --force-reinstall --no-deps ./python
rm -rf python/build python/*.egg-info python/mind/*.so
cd python/tests
exec "../../$venv/bin/python" -m pytest -q -p no:cacheprovider
