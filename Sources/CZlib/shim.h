#ifndef WTOOL_CZLIB_SHIM_H
#define WTOOL_CZLIB_SHIM_H
#include <zlib.h>
#endif
