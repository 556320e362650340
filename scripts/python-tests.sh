#!/usr/bin/env bash
# The Python package's tests (python/tests) in .venv-python, made idempotently: NumPy and pytest
# from PyPI, the package installed from ./python around the debug build of libmindc. Skipped,
# saying so, only when PyPI cannot be reached.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv-python
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import numpy, pytest, setuptools, wheel" 2>/dev/null; }; then
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q numpy pytest setuptools wheel; }; then
    rm -rf "$venv"
    echo "python-tests: skipped: numpy and pytest could not be installed from PyPI"
    exit 0
  fi
fi
set -e
swift build --product mindc
MIND_LIBRARY="$PWD/.build/debug/libmindc.so" "$venv/bin/pip" install -q --no-build-isolation --force-reinstall --no-deps ./python
rm -rf python/build python/*.egg-info python/mind/libmindc.so
cd python/tests
exec "../../$venv/bin/python" -m pytest -q -p no:cacheprovider
