// The system zlib (Debian's zlib1g-dev): inflate for deflate-compressed `.npz` members and
// crc32 for the members `mind` writes.
#ifndef MIND_CZLIB_SHIM_H
#define MIND_CZLIB_SHIM_H

#include <zlib.h>

#endif
