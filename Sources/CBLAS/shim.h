#ifndef WTOOL_CBLAS_SHIM_H
#define WTOOL_CBLAS_SHIM_H
// Debian's OpenBLAS (libopenblas-dev) installs cblas.h under the multiarch include directory that
// pkg-config names; openblas_set_num_threads is declared there too.
#include <cblas.h>
#endif
