/* dimple/model.h — diffusion LM checkpoints and the forward pass.
 * Part of libdimple-runtime. */
#ifndef DIMPLE_MODEL_H
#define DIMPLE_MODEL_H

#include <dimple/status.h>

#endif
