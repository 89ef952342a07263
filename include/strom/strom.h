/* strom/strom.h: umbrella header for the public C API of strom. */
#ifndef STROM_STROM_H
#define STROM_STROM_H
#include "strom/error.h"
#include "strom/types.h"
#define STROM_VERSION_STRING "0.1.0"
#endif
