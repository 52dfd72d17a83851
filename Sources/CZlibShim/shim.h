#ifndef WTOOL_CZLIBSHIM_H
#define WTOOL_CZLIBSHIM_H
#include <zlib.h>
#endif
