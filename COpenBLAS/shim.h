// OpenBLAS's CBLAS interface (Debian's libopenblas-dev), for large matrix products.
#ifndef MIND_COPENBLAS_SHIM_H
#define MIND_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
