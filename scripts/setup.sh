#!/usr/bin/env bash
# Installs what building and testing mind needs on a Debian machine, idempotently:
# LLVM 19 (C API, FileCheck), OpenBLAS, zlib (inflating .npz files), and a pkg-config file for
# LLVM (Debian ships none).
set -euo pipefail

# Each package is checked by a file it alone provides (llvm-config-19 and a cblas.h can stay
# behind when the development packages are removed).
need=()
{ command -v llvm-config-19 && [ -f /usr/lib/llvm-19/include/llvm-c/LLJIT.h ]; } >/dev/null 2>&1 || need+=(llvm-19-dev)
[ -x /usr/lib/llvm-19/bin/FileCheck ] || need+=(llvm-19-tools)
{ command -v pkg-config && pkg-config --exists openblas; } >/dev/null 2>&1 || need+=(libopenblas-dev)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

pc_dir=/usr/local/lib/pkgconfig
pc_file=$pc_dir/mind-llvm.pc
prefix=$(llvm-config-19 --prefix)
want="prefix=$prefix
Name: mind-llvm
Description: LLVM 19 C API for mind
Version: $(llvm-config-19 --version)
Cflags: -I$prefix/include
Libs: -L$prefix/lib -lLLVM-19"
if [ ! -f "$pc_file" ] || [ "$(cat "$pc_file")" != "$want" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO mkdir -p "$pc_dir"
  echo "$want" | $SUDO tee "$pc_file" >/dev/null
fi
