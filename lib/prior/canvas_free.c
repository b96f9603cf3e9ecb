/* Free-text canvases (unconstrained generation) and the canvas's EOS. */
#include <stdio.h>

#include "canvas.h"

int dm_canvas_free_text(dm_prior_env *env, int32_t n, const dm_canvas_params *params, dm_canvas **out,
                        dm_error *err) {
  *out = NULL;
  if (!env || n < 1) return dm_error_set(err, DM_EINVAL, "a free-text canvas needs at least one token");
  if (env->eos < 0)
    return dm_error_set(err, DM_EINVAL, "the tokenizer has no EOS token to end a free text with");
  dm_canvas_params p = params ? *params : dm_canvas_default_params();
  p.max_tokens = n;
  static const char any[] = "[\\s\\S]*"; /* any UTF-8 text, then EOS filler */
  return dm_canvas_from_regex(env, any, sizeof any - 1, &p, out, err);
}

int32_t dm_canvas_eos(const dm_canvas *c) { return c && c->env ? c->env->eos : -1; }
