/* libdimple's version. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <dimple/dimple.h>

const char *dm_dimple_version(void) { return PACKAGE_VERSION; }
