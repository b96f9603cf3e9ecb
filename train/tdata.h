/* Training data for the trainer (internal, not installed): chat examples from a
 * corpus JSONL file (train/corpus.py's format) tokenized into prompt + response
 * sequences, and the batches of a step (autoregressive or masked-diffusion). */
#ifndef DM_TRAIN_TDATA_H
#define DM_TRAIN_TDATA_H

#include <stdint.h>

#include <dimple/status.h>
#include <dimple/tokenizer.h>

typedef struct dm_texample {
  int32_t *ids;   /* prompt then response (owned by the data set) */
  int n;          /* length */
  int prompt;     /* prompt length: the response starts here */
  int ar_end;     /* the autoregressive loss covers [prompt, ar_end): answer + first EOS */
  int prior_fmt;  /* 1: the response is laid out on its prior's canvas */
} dm_texample;

typedef struct dm_tdata_params {
  const char *priors_dir;  /* priors/ (for examples naming a prior) */
  const char *grammar_dir; /* grammars/ (NULL: the prior compiler's default) */
  double prior_format;     /* fraction of prior examples laid out on the prior's canvas */
  int free_tokens;         /* response canvas of examples without a prior */
  int max_len;             /* longest sequence kept (longer ones are counted and skipped) */
  uint64_t seed;
} dm_tdata_params;

typedef struct dm_tdata {
  dm_texample *ex;
  int n;
  int32_t eos, mask;
  int max_n;          /* longest example */
  long tokens, response_tokens;
  int skipped_long;   /* examples over max_len */
  int prior_fmt, prior_fail; /* laid out on a canvas / could not be (plain then) */
} dm_tdata;

/* Read and tokenize every example of the JSONL file `path` (errors name the line).
 * The response is the assistant text + EOS, padded with EOS to the example's canvas
 * length (the prior's canvas, or free_tokens, or the next multiple of 16 when the
 * answer is longer); a fraction prior_format of the prior examples instead carries
 * the prior canvas's exact token layout (filler and EOS tail), as the decoder sees it.
 * *out owned by the caller (dm_tdata_free). */
int dm_tdata_load(const char *path, const dm_tokenizer *tok, const dm_tdata_params *p, dm_tdata **out,
                  dm_error *err);
void dm_tdata_free(dm_tdata *d);

/* ------------------------------------------------------------------ batches */

/* The batches of an epoch: examples in a seeded order, grouped in chunks by length
 * so that a batch (at most batch_tokens = B * T positions) wastes little padding. */
typedef struct dm_tepoch {
  int n_batches;
  int *start, *count; /* batch i = order[start[i] .. start[i]+count[i]) */
  int *order;
} dm_tepoch;

int dm_tepoch_make(const dm_tdata *d, int batch_tokens, uint64_t seed, long epoch, dm_tepoch *out, dm_error *err);
void dm_tepoch_free(dm_tepoch *e);

/* One step's batch, buffers owned by the struct and reused. */
typedef struct dm_tbatchbuf {
  int B, T, R;
  int32_t *ids, *rows, *targets;
  float *weights;
  long resp_tokens, masked;
  size_t cap_ids, cap_rows;
} dm_tbatchbuf;

/* Build batch `bi` of epoch e: AR (diffusion 0): causal next-token rows over
 * [prompt, ar_end), weight 1/total; diffusion: each response position masked with
 * probability t ~ U(eps, 1] per sequence (at least one), rows at the shifted
 * position, weight 1/(t * total response positions). rng_seed seeds the masks. */
int dm_tbatch_build(const dm_tdata *d, const dm_tepoch *e, int bi, int diffusion, double eps, uint64_t rng_seed,
                    dm_tbatchbuf *out, dm_error *err);
void dm_tbatchbuf_free(dm_tbatchbuf *b);

#endif
