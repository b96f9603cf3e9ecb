/* The decoder with a scripted logits source (a test double): each strategy's choice
 * of positions and tokens step by step, the confident fallback, block boundaries,
 * EOS tail fill, forced commits, re-picks after a conflicting commit, seeded
 * determinism, cancelling; and prefill = no prefill on random tiny models.
 * Uses tests/data/tokenizer/tiny-dense (269 ids; 'a' = 97, EOS <|im_end|> = 267). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/dimple.h>

#include "../../lib/decode/decode_int.h"
#include "../checkmain.h"

#define V 288
#define MASK 284
#define EOS 267
#define MAXP 64

static dm_tokenizer *g_tok;
static dm_prior_env *g_env;

/* ------------------------------------------------------------------ the double */

typedef struct script {
  dm_logits_source base;
  /* per canvas position: up to 3 (token, logit) pairs; other logits 0 */
  int32_t tok[MAXP][3];
  float val[MAXP][3];
  int calls;
  int rows[64];  /* rows asked per call */
  int bad;       /* a row asked for a position that is not a mask */
  uint64_t noise; /* != 0: add seeded small noise to every logit */
  float rest;     /* logit of the tokens not scripted (0) */
} script;

static int script_fill(dm_logits_source *s, const int32_t *seq, int32_t T, int32_t prompt_len, int call,
                       const int32_t *pos, int32_t n, float *out, dm_error *err) {
  script *sc = (script *)s;
  (void)T;
  (void)err;
  if (call != sc->calls) sc->bad++;
  if (sc->calls < 64) sc->rows[sc->calls] = n;
  sc->calls++;
  for (int32_t i = 0; i < n; i++) {
    float *row = out + (size_t)i * V;
    int32_t q = pos[i] - prompt_len;
    if (q < 0 || q >= MAXP || seq[pos[i]] != MASK) sc->bad++;
    uint64_t x = sc->noise + (uint64_t)q * 7919u;
    for (int t = 0; t < V; t++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      row[t] = sc->noise ? (float)((x >> 40) % 1000) / 1000.0f : sc->rest;
    }
    for (int k = 0; k < 3 && q >= 0 && q < MAXP; k++)
      if (sc->tok[q][k] > 0) row[sc->tok[q][k]] = sc->val[q][k];
  }
  return DM_OK;
}

static void script_init(script *sc) {
  memset(sc, 0, sizeof *sc);
  sc->base.vocab = V;
  sc->base.mask_id = MASK;
  sc->base.fill = script_fill;
}

static void want(script *sc, int q, int k, int32_t tok, float v) {
  sc->tok[q][k] = tok;
  sc->val[q][k] = v;
}

/* ------------------------------------------------------------------ tracing */

typedef struct trace {
  int32_t prev[MAXP];
  char steps[32][64]; /* per step: newly filled positions, "0,1" */
  int n;
  int stop_at;        /* return false at this step (-1: never) */
} trace;

static bool on_step(const dm_decode_step *s, const dm_canvas *c, void *user) {
  trace *tr = user;
  char *o = tr->n < 32 ? tr->steps[tr->n] : NULL;
  if (o) o[0] = 0;
  for (int32_t q = 0; q < dm_canvas_length(c) && q < MAXP; q++) {
    int32_t t = dm_canvas_token(c, q);
    if (t >= 0 && tr->prev[q] < 0 && o) {
      size_t l = strlen(o);
      snprintf(o + l, 64 - l, "%s%d", l ? "," : "", (int)q);
    }
    tr->prev[q] = t;
  }
  tr->n++;
  return s->step != tr->stop_at;
}

static void trace_init(trace *tr, const dm_canvas *c) {
  memset(tr, 0, sizeof *tr);
  tr->stop_at = -1;
  for (int32_t q = 0; q < dm_canvas_length(c) && q < MAXP; q++) tr->prev[q] = dm_canvas_token(c, q);
}

static char *text_of(const dm_canvas *c) {
  static char buf[512];
  dm_canvas_text(c, NULL, 1, buf, sizeof buf);
  return buf;
}

static const int32_t prompt[3] = {104, 105, 10};

static dm_canvas *free_canvas(int n) {
  dm_canvas *c = NULL;
  dm_error e;
  ck_assert_int_eq(dm_canvas_free_text(g_env, n, NULL, &c, &e), DM_OK);
  return c;
}

static dm_canvas *regex_canvas(const char *re, int n) {
  dm_canvas *c = NULL;
  dm_error e;
  dm_canvas_params p = dm_canvas_default_params();
  p.max_tokens = n;
  ck_assert_int_eq(dm_canvas_from_regex(g_env, re, strlen(re), &p, &c, &e), DM_OK);
  return c;
}

static int run(dm_canvas *c, script *sc, const dm_decode_params *p, dm_decode_stats *st, trace *tr) {
  dm_error e;
  dm_error_clear(&e);
  trace_init(tr, c);
  int rc = dm_decode(c, prompt, 3, &sc->base, p, st, on_step, tr, &e);
  return rc;
}

/* ------------------------------------------------------------------ tests */

START_TEST(maskgit_one_per_step_in_confidence_order) {
  dm_canvas *c = free_canvas(4);
  script sc;
  script_init(&sc);
  want(&sc, 0, 0, 'a', 3);
  want(&sc, 1, 0, 'b', 5);
  want(&sc, 2, 0, 'c', 4);
  want(&sc, 3, 0, 'd', 6);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_MASKGIT;
  p.steps = 4;
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "abcd");
  ck_assert_int_eq(st.nfe, 4);
  ck_assert_int_eq(tr.n, 4);
  ck_assert_str_eq(tr.steps[0], "3");
  ck_assert_str_eq(tr.steps[1], "1");
  ck_assert_str_eq(tr.steps[2], "2");
  ck_assert_str_eq(tr.steps[3], "0");
  /* only the masked rows were asked for */
  ck_assert_int_eq(sc.rows[0], 4);
  ck_assert_int_eq(sc.rows[3], 1);
  ck_assert_int_eq(sc.bad, 0);
  ck_assert_int_eq(st.committed, 4);
  ck_assert_int_eq(st.prompt_tokens, 3);
  ck_assert_int_eq(st.canvas_tokens, 4);
  dm_canvas_free(c);
}
END_TEST

START_TEST(maskgit_schedule_two_per_step) {
  dm_canvas *c = free_canvas(4);
  script sc;
  script_init(&sc);
  want(&sc, 0, 0, 'a', 3);
  want(&sc, 1, 0, 'b', 5);
  want(&sc, 2, 0, 'c', 4);
  want(&sc, 3, 0, 'd', 6);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_MASKGIT;
  p.steps = 2;
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_int_eq(st.nfe, 2);
  ck_assert_str_eq(tr.steps[0], "1,3");
  ck_assert_str_eq(tr.steps[1], "0,2");
  ck_assert_int_eq(st.max_per_step, 2);
  dm_canvas_free(c);
}
END_TEST

START_TEST(confident_threshold_then_fallback) {
  dm_canvas *c = free_canvas(4);
  script sc;
  script_init(&sc);
  want(&sc, 0, 0, 'a', 10); /* p = e^10 / (e^10 + 287) = 0.987 */
  want(&sc, 1, 0, 'b', 10);
  want(&sc, 2, 0, 'c', 5);  /* 0.34 */
  want(&sc, 3, 0, 'd', 6);  /* 0.58 */
  dm_decode_params p = dm_decode_default_params();
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "abcd");
  ck_assert_int_eq(st.nfe, 3);
  ck_assert_str_eq(tr.steps[0], "0,1"); /* both above 0.95 */
  ck_assert_str_eq(tr.steps[1], "3");   /* none: the schedule's one, the best */
  ck_assert_str_eq(tr.steps[2], "2");
  dm_canvas_free(c);

  /* a lower threshold takes everything at once */
  c = free_canvas(4);
  script_init(&sc);
  want(&sc, 0, 0, 'a', 10);
  want(&sc, 1, 0, 'b', 10);
  want(&sc, 2, 0, 'c', 5);
  want(&sc, 3, 0, 'd', 6);
  p.threshold = 0.3;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_int_eq(st.nfe, 1);
  ck_assert_str_eq(tr.steps[0], "0,1,2,3");
  dm_canvas_free(c);
}
END_TEST

/* pos 0: two tokens at 9 (top-1 0.49, margin 0, low entropy); pos 1: one at 4 (0.16,
 * margin 0.157, high entropy). */
static void margin_script(script *sc) {
  script_init(sc);
  want(sc, 0, 0, 'a', 9);
  want(sc, 0, 1, 'b', 9);
  want(sc, 1, 0, 'c', 4);
}

static const char *first_step(dm_strategy s) {
  static char out[64];
  dm_canvas *c = free_canvas(2);
  script sc;
  margin_script(&sc);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = s;
  p.steps = 2;
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "ac"); /* tie between a and b: the lower id */
  snprintf(out, sizeof out, "%s", tr.steps[0]);
  dm_canvas_free(c);
  return out;
}

START_TEST(margin_and_entropy_scores) {
  ck_assert_str_eq(first_step(DM_STRATEGY_MASKGIT), "0");
  ck_assert_str_eq(first_step(DM_STRATEGY_MARGIN), "1");
  ck_assert_str_eq(first_step(DM_STRATEGY_ENTROPY), "0");
}
END_TEST

static void random_order(uint64_t seed, char *out) {
  dm_canvas *c = free_canvas(6);
  script sc;
  script_init(&sc);
  for (int q = 0; q < 6; q++) want(&sc, q, 0, 'a' + q, 3);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_RANDOM;
  p.steps = 6;
  p.seed = seed;
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "abcdef");
  ck_assert_int_eq(st.nfe, 6);
  out[0] = 0;
  for (int i = 0; i < tr.n; i++) strcat(out, tr.steps[i]), strcat(out, ";");
  dm_canvas_free(c);
}

START_TEST(random_positions_seeded) {
  char a[256], b[256], x[256];
  random_order(1, a);
  random_order(1, b);
  ck_assert_str_eq(a, b);
  int differs = 0;
  for (uint64_t s = 2; s < 8; s++) {
    random_order(s, x);
    differs += strcmp(a, x) != 0;
  }
  ck_assert_int_gt(differs, 0);
}
END_TEST

START_TEST(blocks_stay_inside_the_block) {
  dm_canvas *c = free_canvas(8);
  script sc;
  script_init(&sc);
  for (int q = 0; q < 4; q++) want(&sc, q, 0, 'a' + q, 3 + q);
  for (int q = 4; q < 8; q++) want(&sc, q, 0, 'e' + (q - 4), 10);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_BLOCKS;
  p.block_length = 4;
  p.steps = 4; /* two steps per block, two tokens per step */
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "abcdefgh");
  ck_assert_int_eq(st.nfe, 4);
  ck_assert_str_eq(tr.steps[0], "2,3"); /* low-confidence remasking in block 0 */
  ck_assert_str_eq(tr.steps[1], "0,1");
  ck_assert_str_eq(tr.steps[2], "4,5"); /* block 1 only now */
  ck_assert_str_eq(tr.steps[3], "6,7");
  ck_assert_int_eq(sc.rows[0], 4);
  ck_assert_int_eq(sc.rows[1], 2);
  ck_assert_int_eq(sc.rows[2], 4);
  ck_assert_int_eq(sc.rows[3], 2);
  ck_assert_int_eq(sc.bad, 0);
  dm_canvas_free(c);
}
END_TEST

START_TEST(fastdllm_threshold_in_blocks) {
  dm_canvas *c = free_canvas(8);
  script sc;
  script_init(&sc);
  want(&sc, 0, 0, 'a', 10);
  want(&sc, 1, 0, 'b', 3);
  want(&sc, 2, 0, 'c', 10);
  want(&sc, 3, 0, 'd', 4);
  for (int q = 4; q < 8; q++) want(&sc, q, 0, 'e' + (q - 4), 10);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_FASTDLLM;
  p.block_length = 4;
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "abcdefgh");
  ck_assert_int_eq(st.nfe, 4);
  ck_assert_str_eq(tr.steps[0], "0,2");
  ck_assert_str_eq(tr.steps[1], "3"); /* none above: the most confident one */
  ck_assert_str_eq(tr.steps[2], "1");
  ck_assert_str_eq(tr.steps[3], "4,5,6,7");
  ck_assert_int_eq(sc.rows[2], 1);
  ck_assert_int_eq(sc.rows[3], 4);
  dm_canvas_free(c);
}
END_TEST

START_TEST(eos_tail_fill) {
  dm_canvas *c = free_canvas(6);
  script sc;
  script_init(&sc);
  want(&sc, 0, 0, 'a', 5);
  want(&sc, 1, 0, 'b', 4);
  want(&sc, 2, 0, EOS, 10);
  for (int q = 3; q < 6; q++) want(&sc, q, 0, 'x', 3);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_MASKGIT;
  p.steps = 6;
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "ab");
  ck_assert_str_eq(tr.steps[0], "2,3,4,5");
  ck_assert_int_eq(st.eos_filled, 3);
  ck_assert_int_eq(st.nfe, 3);
  for (int q = 2; q < 6; q++) ck_assert_int_eq(dm_canvas_token(c, q), EOS);
  dm_canvas_free(c);
}
END_TEST

START_TEST(forced_without_model_call) {
  /* "hello" is one token: a one-position slot allows only it */
  dm_canvas *c = regex_canvas("hello", 1);
  script sc;
  script_init(&sc);
  dm_decode_params p = dm_decode_default_params();
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "hello");
  ck_assert_int_eq(st.nfe, 0);
  ck_assert_int_eq(st.forced, 1);
  ck_assert_int_eq(sc.calls, 0);
  dm_canvas_free(c);

  /* (ab|cd): once 'a' is committed, 'b' is forced */
  c = regex_canvas("ab|cd", 2);
  script_init(&sc);
  want(&sc, 0, 0, 'a', 10);
  want(&sc, 1, 0, 'x', 3); /* not allowed anywhere */
  p.strategy = DM_STRATEGY_MASKGIT;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "ab");
  ck_assert_int_eq(st.nfe, 1);
  ck_assert_int_eq(st.committed, 1);
  ck_assert_int_eq(st.forced, 1);
  ck_assert_str_eq(tr.steps[0], "0");
  ck_assert_str_eq(tr.steps[1], "1");
  dm_canvas_free(c);
}
END_TEST

START_TEST(conflicting_plan_is_repicked) {
  /* both above the threshold in one step: 'a' at 0 goes first, then 'd' at 1 is
   * no longer allowed and the best allowed token there ('b') is taken instead */
  dm_canvas *c = regex_canvas("ab|cd", 2);
  script sc;
  script_init(&sc);
  want(&sc, 0, 0, 'a', 11);
  want(&sc, 1, 0, 'd', 10);
  want(&sc, 1, 1, 'b', 6);
  dm_decode_params p = dm_decode_default_params();
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "ab");
  ck_assert_int_eq(st.nfe, 1);
  ck_assert_int_eq(st.repicked, 1);
  ck_assert_int_eq(st.committed, 2);
  ck_assert_str_eq(tr.steps[0], "0,1");
  dm_canvas_free(c);
}
END_TEST

START_TEST(constraint_beats_logits) {
  /* the model wants 'x' everywhere; a digit regex gets digits */
  dm_canvas *c = regex_canvas("[0-9]{3}", 3);
  script sc;
  script_init(&sc);
  for (int q = 0; q < 3; q++) want(&sc, q, 0, 'x', 10), want(&sc, q, 1, '0' + 7 - q, 2);
  dm_decode_params p = dm_decode_default_params();
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  ck_assert_str_eq(text_of(c), "765");
  dm_canvas_free(c);
}
END_TEST

static void sampled(uint64_t seed, double temp, int top_k, double top_p, char *out) {
  dm_canvas *c = free_canvas(8);
  script sc;
  script_init(&sc);
  sc.noise = 1234;
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_MASKGIT;
  p.temperature = temp;
  p.top_k = top_k;
  p.top_p = top_p;
  p.seed = seed;
  dm_decode_stats st;
  trace tr;
  ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
  for (int q = 0; q < 8; q++) sprintf(out + 4 * q, "%03d,", (int)dm_canvas_token(c, q));
  dm_canvas_free(c);
}

START_TEST(sampling_is_seeded) {
  char a[64], b[64], g[64], x[64];
  sampled(7, 1.0, 0, 1.0, a);
  sampled(7, 1.0, 0, 1.0, b);
  ck_assert_str_eq(a, b);
  int differs = 0;
  for (uint64_t s = 8; s < 12; s++) {
    sampled(s, 1.0, 0, 1.0, x);
    differs += strcmp(a, x) != 0;
  }
  ck_assert_int_gt(differs, 0);
  /* top-k 1 and a tiny nucleus are greedy whatever the seed */
  sampled(0, 0.0, 0, 1.0, g);
  sampled(3, 1.0, 1, 1.0, x);
  ck_assert_str_eq(g, x);
  sampled(5, 1.0, 0, 1e-6, x);
  ck_assert_str_eq(g, x);
  /* top-k 3: every token is among the 3 best allowed of its row (they differ from
   * greedy for some seed) */
  differs = 0;
  for (uint64_t s = 1; s < 6; s++) {
    sampled(s, 1.0, 3, 1.0, x);
    differs += strcmp(g, x) != 0;
  }
  ck_assert_int_gt(differs, 0);
}
END_TEST

/* Sampling draws from the model's distribution restricted to the allowed tokens:
 * 'x' (logit 3) is refused, so 'a' (1) and 'b' (0) come out as e : 1 (p(a) = 0.731),
 * both by rejection sampling (top-k 0) and over the allowed set (top-k 2). */
START_TEST(sampling_follows_the_restricted_distribution) {
  dm_canvas *c = regex_canvas("[ab]", 1);
  for (int k = 0; k <= 2; k += 2) {
    int na = 0, n = 3000;
    for (int i = 0; i < n; i++) {
      script sc;
      script_init(&sc);
      sc.rest = -4;
      want(&sc, 0, 0, 'a', 1);
      want(&sc, 0, 1, 'b', 0);
      want(&sc, 0, 2, 'x', 3);
      dm_decode_params p = dm_decode_default_params();
      p.temperature = 1;
      p.top_k = k;
      p.seed = (uint64_t)i;
      dm_decode_stats st;
      trace tr;
      ck_assert_int_eq(run(c, &sc, &p, &st, &tr), DM_OK);
      int32_t t = dm_canvas_token(c, 0);
      ck_assert(t == 'a' || t == 'b');
      na += t == 'a';
      dm_canvas_reset(c);
    }
    double pa = (double)na / n, want_pa = exp(1.0) / (exp(1.0) + 1);
    ck_assert_msg(fabs(pa - want_pa) < 0.03, "top-k %d: p(a) = %.3f, want %.3f", k, pa, want_pa);
  }
  dm_canvas_free(c);
}
END_TEST

START_TEST(callback_cancels) {
  dm_canvas *c = free_canvas(4);
  script sc;
  script_init(&sc);
  for (int q = 0; q < 4; q++) want(&sc, q, 0, 'a', 3);
  dm_decode_params p = dm_decode_default_params();
  p.strategy = DM_STRATEGY_MASKGIT;
  dm_decode_stats st;
  trace tr;
  dm_error e;
  trace_init(&tr, c);
  tr.stop_at = 1;
  ck_assert_int_eq(dm_decode(c, prompt, 3, &sc.base, &p, &st, on_step, &tr, &e), DM_ECANCELED);
  ck_assert_int_eq(dm_canvas_masks_left(c), 2);
  ck_assert_int_eq(st.nfe, 2);
  dm_canvas_free(c);
}
END_TEST

START_TEST(bad_params) {
  dm_canvas *c = free_canvas(2);
  script sc;
  script_init(&sc);
  dm_decode_params p = dm_decode_default_params();
  p.top_p = 0;
  dm_error e;
  ck_assert_int_eq(dm_decode(c, prompt, 3, &sc.base, &p, NULL, NULL, NULL, &e), DM_EINVAL);
  p = dm_decode_default_params();
  ck_assert_int_eq(dm_decode(NULL, prompt, 3, &sc.base, &p, NULL, NULL, NULL, &e), DM_EINVAL);
  dm_strategy s;
  ck_assert_int_eq(dm_strategy_parse("origin", &s), DM_OK);
  ck_assert_int_eq(s, DM_STRATEGY_RANDOM);
  ck_assert_int_eq(dm_strategy_parse("nope", &s), DM_EINVAL);
  ck_assert_str_eq(dm_strategy_name(DM_STRATEGY_FASTDLLM), "fastdllm");
  dm_canvas_free(c);
}
END_TEST

/* Every enum value has its operations, named, and the name (and alias) parses back
 * to it; only the block strategies work inside blocks; nothing past the enum. */
START_TEST(every_strategy_has_ops) {
  int n = 0;
  for (int i = DM_STRATEGY_CONFIDENT; i <= DM_STRATEGY_FASTDLLM; i++) {
    const dm_strategy_ops *o = dm_strategy_get((dm_strategy)i);
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(o->name);
    ck_assert_ptr_nonnull(o->score);
    ck_assert_ptr_nonnull(o->select);
    ck_assert_str_eq(dm_strategy_name((dm_strategy)i), o->name);
    dm_strategy s = (dm_strategy)-1;
    ck_assert_int_eq(dm_strategy_parse(o->name, &s), DM_OK);
    ck_assert_int_eq(s, i);
    if (o->alias) {
      s = (dm_strategy)-1;
      ck_assert_int_eq(dm_strategy_parse(o->alias, &s), DM_OK);
      ck_assert_int_eq(s, i);
    }
    ck_assert_int_eq(o->blocks, i == DM_STRATEGY_BLOCKS || i == DM_STRATEGY_FASTDLLM);
    n++;
  }
  ck_assert_int_eq(n, 7);
  ck_assert_ptr_null(dm_strategy_get((dm_strategy)(DM_STRATEGY_FASTDLLM + 1)));
  ck_assert_ptr_null(dm_strategy_name((dm_strategy)(DM_STRATEGY_FASTDLLM + 1)));
  ck_assert_ptr_null(dm_strategy_get((dm_strategy)-1));
}
END_TEST

/* Random tiny models, LLaDA (unshifted) and Dream (shifted logits), at temperature 0.
 * The prefill cache keeps the prompt's K/V from step 0 (Dimple's semantics), so it is
 * exact (= no prefill) for every step of a one-layer model (its prompt K/V depend on
 * the prompt's embeddings only) and for the first step of any model; deeper models
 * drift later by design. */
static void prefill_case(int layers, int steps, int L) {
  dm_model_family fams[2] = {DM_FAMILY_LLADA, DM_FAMILY_DREAM};
  for (int f = 0; f < 2; f++) {
    dm_model_shape sh = {fams[f], DM_DTYPE_F32, layers, 64, 4, 2, 128, V, 10000.0, 0};
    dm_model *m = NULL;
    dm_error e;
    dm_model_params mp = dm_model_default_params();
    mp.n_threads = 1;
    ck_assert_int_eq(dm_model_new_random(&sh, 5 + (uint64_t)f, &mp, &m, &e), DM_OK);
    int32_t toks[2][16];
    dm_decode_stats st[2];
    for (int pre = 0; pre < 2; pre++) {
      dm_logits_source *src = NULL;
      ck_assert_int_eq(dm_logits_source_model(m, pre, MASK, &src, &e), DM_OK);
      dm_canvas *c = free_canvas(L);
      dm_decode_params p = dm_decode_default_params();
      p.strategy = DM_STRATEGY_MASKGIT;
      p.steps = steps;
      ck_assert_int_eq(dm_decode(c, prompt, 3, src, &p, &st[pre], NULL, NULL, &e), DM_OK);
      for (int q = 0; q < L; q++) toks[pre][q] = dm_canvas_token(c, q);
      dm_canvas_free(c);
      dm_logits_source_free(src);
    }
    for (int q = 0; q < L; q++) ck_assert_int_eq(toks[0][q], toks[1][q]);
    ck_assert_int_eq(st[0].nfe, st[1].nfe);
    dm_model_free(m);
  }
}

/* The model source reads the row that predicts each position: row t for LLaDA, row
 * t - 1 for the shifted Dream layout (compared with a plain full forward). */
START_TEST(model_source_rows) {
  dm_model_family fams[2] = {DM_FAMILY_LLADA, DM_FAMILY_DREAM};
  for (int f = 0; f < 2; f++) {
    dm_model_shape sh = {fams[f], DM_DTYPE_F32, 2, 64, 4, 2, 128, V, 10000.0, 0};
    dm_model *m = NULL;
    dm_error e;
    ck_assert_int_eq(dm_model_new_random(&sh, 9, NULL, &m, &e), DM_OK);
    int32_t seq[8] = {104, 105, 10, MASK, 97, MASK, MASK, 98};
    int32_t rows[16], want_pos[3] = {3, 5, 6};
    for (int t = 0; t < 8; t++) rows[2 * t] = 0, rows[2 * t + 1] = t;
    static float all[8 * V], got[3 * V];
    dm_forward_batch b = {1, 8, seq, 0, 8, rows, DM_FORWARD_FULL, 0, NULL};
    ck_assert_int_eq(dm_forward(m, &b, all, &e), DM_OK);
    for (int pre = 0; pre < 2; pre++) {
      dm_logits_source *src = NULL;
      ck_assert_int_eq(dm_logits_source_model(m, pre, MASK, &src, &e), DM_OK);
      ck_assert_int_eq(src->fill(src, seq, 8, 3, 0, want_pos, 3, got, &e), DM_OK);
      int shift = f == 1;
      for (int i = 0; i < 3; i++)
        for (int t = 0; t < V; t++)
          ck_assert_msg(fabsf(got[i * V + t] - all[(want_pos[i] - shift) * V + t]) < 1e-4f, "family %d row %d", f, i);
      dm_logits_source_free(src);
    }
    dm_model_free(m);
  }
}
END_TEST

static int fail_fill(dm_logits_source *s, const int32_t *seq, int32_t T, int32_t prompt_len, int call,
                     const int32_t *pos, int32_t n, float *out, dm_error *err) {
  (void)s, (void)seq, (void)T, (void)prompt_len, (void)call, (void)pos, (void)n, (void)out;
  return dm_error_set(err, DM_EINTERNAL, "the statistics path read logits");
}

/* The statistics path (fill_stats: what a CUDA model offers, forced on here on the
 * CPU) decodes exactly as the logits path at temperature 0 with the probability-
 * scored strategies, on random tiny models (LLaDA and shifted Dream), free and
 * constrained canvases, with and without prefill; and it never reads logits. */
START_TEST(stats_path_matches_logits_path) {
  dm_model_family fams[2] = {DM_FAMILY_LLADA, DM_FAMILY_DREAM};
  dm_strategy strats[3] = {DM_STRATEGY_CONFIDENT, DM_STRATEGY_MASKGIT, DM_STRATEGY_FASTDLLM};
  int used_stats = 0;
  for (int f = 0; f < 2; f++) {
    dm_model_shape sh = {fams[f], DM_DTYPE_F32, 2, 64, 4, 2, 128, V, 10000.0, 0};
    dm_model *m = NULL;
    dm_error e;
    ck_assert_int_eq(dm_model_new_random(&sh, 21 + (uint64_t)f, NULL, &m, &e), DM_OK);
    for (int s = 0; s < 3; s++)
      for (int spec = 0; spec < 2; spec++)
        for (int pre = 0; pre < 2; pre++) {
          int32_t toks[2][24];
          dm_decode_stats st[2];
          for (int mode = 0; mode < 2; mode++) {
            dm_logits_source *src = NULL;
            ck_assert_int_eq(dm_logits_source_model_stats(m, pre, MASK, mode ? DM_SOURCE_STATS_ON : DM_SOURCE_STATS_OFF,
                                                          &src, &e),
                             DM_OK);
            ck_assert(mode ? src->fill_stats != NULL : src->fill_stats == NULL);
            if (mode) src->fill = fail_fill;
            dm_canvas *c = spec ? regex_canvas("[a-e]{2,5}-[0-9]{1,3}(x|yz)?", 16) : free_canvas(16);
            dm_decode_params p = dm_decode_default_params();
            p.strategy = strats[s];
            p.threshold = 0.02; /* random models are unsure: let several commit per step */
            p.block_length = 8;
            int rc = dm_decode(c, prompt, 3, src, &p, &st[mode], NULL, NULL, &e);
            ck_assert_msg(rc == DM_OK, "family %d strategy %d spec %d prefill %d mode %d: %s", f, s, spec, pre, mode,
                          e.message);
            for (int q = 0; q < 16; q++) toks[mode][q] = dm_canvas_token(c, q);
            used_stats += mode;
            dm_canvas_free(c);
            dm_logits_source_free(src);
          }
          for (int q = 0; q < 16; q++)
            ck_assert_msg(toks[0][q] == toks[1][q], "family %d strategy %d spec %d prefill %d: position %d %d vs %d", f,
                          s, spec, pre, q, toks[0][q], toks[1][q]);
          ck_assert_int_eq(st[0].nfe, st[1].nfe);
        }
    dm_model_free(m);
  }
  ck_assert_int_eq(used_stats, 24);
}
END_TEST

START_TEST(prefill_matches_full) {
  prefill_case(1, 12, 12); /* one token per step, every step exact */
  prefill_case(2, 1, 12);  /* all in the first step */
}
END_TEST

/* The fast log-sum-exp kernel against its plain twin (double, libm). */
START_TEST(logsumexp_matches_reference) {
  uint64_t x = 99;
  static float v[151937];
  int32_t sizes[] = {1, 7, 8, 9, 100, 4097, 151937};
  for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    int32_t n = sizes[k];
    for (int32_t i = 0; i < n; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      v[i] = (float)((double)(x >> 11) / 9007199254740992.0 * 60.0 - 40.0); /* [-40, 20) */
    }
    if (n > 3) v[3] = -200.0f; /* below the clamp */
    double mref = -INFINITY, z = 0;
    for (int32_t i = 0; i < n; i++) mref = v[i] > mref ? v[i] : mref;
    for (int32_t i = 0; i < n; i++) z += exp((double)v[i] - mref);
    double ref = log(z) + mref;
    float mx;
    double got = dm_pick_logsumexp(v, n, &mx);
    ck_assert_float_eq(mx, (float)mref);
    ck_assert_msg(fabs(got - ref) < 1e-5, "n=%d: %.9f vs %.9f", (int)n, got, ref);
  }
}
END_TEST

static void setup(void) {
  const char *src = getenv("DM_TEST_SRCDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/tokenizer/tiny-dense/tokenizer.json", src ? src : ".");
  dm_error e;
  ck_assert_int_eq(dm_tokenizer_load(path, &g_tok, &e), DM_OK);
  ck_assert_int_eq(dm_tokenizer_vocab_size(g_tok), 269);
  ck_assert_int_eq(dm_prior_env_new(g_tok, &g_env, &e), DM_OK);
}

static void teardown(void) {
  dm_prior_env_free(g_env);
  dm_tokenizer_free(g_tok);
}

int main(void) {
  Suite *s = suite_create("decode");
  TCase *tc = tcase_create("strategies");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, maskgit_one_per_step_in_confidence_order);
  tcase_add_test(tc, maskgit_schedule_two_per_step);
  tcase_add_test(tc, confident_threshold_then_fallback);
  tcase_add_test(tc, margin_and_entropy_scores);
  tcase_add_test(tc, random_positions_seeded);
  tcase_add_test(tc, blocks_stay_inside_the_block);
  tcase_add_test(tc, fastdllm_threshold_in_blocks);
  tcase_add_test(tc, eos_tail_fill);
  tcase_add_test(tc, forced_without_model_call);
  tcase_add_test(tc, conflicting_plan_is_repicked);
  tcase_add_test(tc, constraint_beats_logits);
  tcase_add_test(tc, sampling_is_seeded);
  tcase_add_test(tc, sampling_follows_the_restricted_distribution);
  tcase_add_test(tc, callback_cancels);
  tcase_add_test(tc, bad_params);
  tcase_add_test(tc, every_strategy_has_ops);
  tcase_add_test(tc, prefill_matches_full);
  tcase_add_test(tc, stats_path_matches_logits_path);
  tcase_add_test(tc, model_source_rows);
  tcase_add_test(tc, logsumexp_matches_reference);
  suite_add_tcase(s, tc);
  return dm_test_failures(s) ? 1 : 0;
}
