/* dimple/dimple.h — structured generation with discrete diffusion LMs (libdimple).
 *
 * libdimple holds the prior compiler (format spec → canvas of fixed tokens and
 * slots, with the any-order feasibility engine) and the diffusion decoder that fills
 * a canvas with a model from libdimple-runtime. Including this header gives the
 * runtime API too.
 */
#ifndef DIMPLE_DIMPLE_H
#define DIMPLE_DIMPLE_H

#include <dimple/runtime.h>
#include <dimple/prior.h>
#include <dimple/decode.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of libdimple, e.g. "0.1.0" (static string). */
const char *dm_dimple_version(void);

#ifdef __cplusplus
}
#endif
#endif /* DIMPLE_DIMPLE_H */
