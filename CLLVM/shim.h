// The slice of the LLVM C API that mind uses. Debian's llvm-19-dev provides the headers; the
// pkg-config file `mind-llvm.pc` (written by scripts/setup.sh) points the compiler at them.
#ifndef MIND_CLLVM_SHIM_H
#define MIND_CLLVM_SHIM_H

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#endif
