/* dimple/tokenizer.h — Hugging Face tokenizers (tokenizer.json) and chat templates.
 * Part of libdimple-runtime. */
#ifndef DIMPLE_TOKENIZER_H
#define DIMPLE_TOKENIZER_H

#include <dimple/status.h>

#endif
