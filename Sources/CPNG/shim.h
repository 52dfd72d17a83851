#ifndef WTOOL_CPNG_SHIM_H
#define WTOOL_CPNG_SHIM_H
#include <png.h>
#endif
