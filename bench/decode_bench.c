/* Decoder benchmark (make bench-decode), random-weight models, figures measured in
 * the same run:
 *   1. NFE per generated token: confident vs maskgit at equal canvas length;
 *   2. decode step time with and without the prefill cache at prompt:canvas 4:1;
 *   3. constraint time as a share of step time for a JSON spec on the Qwen3
 *      vocabulary (a random model with Qwen3's vocabulary size and a small shape).
 * Usage: decode_bench TINY_TOKENIZER QWEN3_TOKENIZER PRIORS_DIR [PARTS]
 * PARTS: which figures, e.g. "13" (default "123"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/dimple.h>

#include "../tests/testrng.h"

static int die(const char *what, const dm_error *e) {
  fprintf(stderr, "decode_bench: %s: %s\n", what, e->message);
  exit(1);
}

static dm_model *random_model(dm_model_family fam, int layers, int d, int heads, int kv, int ff, int vocab,
                              uint64_t seed) {
  dm_model_shape sh = {fam, DM_DTYPE_F32, layers, d, heads, kv, ff, vocab, 10000.0, 0};
  dm_model *m = NULL;
  dm_error e;
  if (dm_model_new_random(&sh, seed, NULL, &m, &e)) die("random model", &e);
  return m;
}

static void run(dm_canvas *c, const int32_t *prompt, int32_t n, dm_logits_source *src, const dm_decode_params *p,
                dm_decode_stats *st) {
  dm_error e;
  if (dm_canvas_reset(c)) exit(1);
  if (dm_decode(c, prompt, n, src, p, st, NULL, NULL, &e)) die("decode", &e);
}

/* generated tokens: canvas tokens before the first EOS */
static int32_t before_eos(const dm_canvas *c) {
  int32_t eos = dm_canvas_eos(c), n = 0;
  while (n < dm_canvas_length(c) && dm_canvas_token(c, n) != eos) n++;
  return n;
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: decode_bench TINY_TOKENIZER QWEN3_TOKENIZER PRIORS_DIR [PARTS]\n");
    return 2;
  }
  const char *parts = argc == 5 ? argv[4] : "123";
  dm_error e;
  dm_log_set_level(DM_LOG_ERROR);

  /* ---- 1. confident vs maskgit, NFE per generated token ---- */
  if (strchr(parts, '1')) {
    dm_tokenizer *tok = NULL;
    dm_prior_env *env = NULL;
    if (dm_tokenizer_load(argv[1], &tok, &e) || dm_prior_env_new(tok, &env, &e)) die(argv[1], &e);
    int32_t V = dm_tokenizer_vocab_size(tok);
    dm_model *m = random_model(DM_FAMILY_LLADA, 4, 128, 4, 4, 344, V + 1, 7);
    dm_logits_source *src = NULL;
    if (dm_logits_source_model(m, 1, V, &src, &e)) die("source", &e);
    int32_t prompt[64];
    for (int i = 0; i < 64; i++) prompt[i] = (int32_t)(rnd() % 256);
    printf("bench-decode 1: NFE per generated token, canvas 64, prompt 64, random LLaDA-layout model "
           "(4 layers, d 128, vocab %d), greedy, mean of 4 prompts:\n", V + 1);
    printf("  %-22s %8s %10s %12s %10s\n", "strategy", "NFE", "generated", "NFE/token", "ms");
    struct { const char *name; dm_strategy s; double thr; } rows[] = {
        {"maskgit (steps=64)", DM_STRATEGY_MASKGIT, 0},
        {"confident 0.95", DM_STRATEGY_CONFIDENT, 0.95},
        {"confident 0.5", DM_STRATEGY_CONFIDENT, 0.5},
        {"confident 0.1", DM_STRATEGY_CONFIDENT, 0.1},
        {"confident 0.01", DM_STRATEGY_CONFIDENT, 0.01},
        {"confident 0.005", DM_STRATEGY_CONFIDENT, 0.005},
        {"fastdllm 0.5 (blk 32)", DM_STRATEGY_FASTDLLM, 0.5},
    };
    dm_canvas *c = NULL;
    if (dm_canvas_free_text(env, 64, NULL, &c, &e)) die("canvas", &e);
    for (unsigned r = 0; r < sizeof rows / sizeof rows[0]; r++) {
      double nfe = 0, gen = 0, ms = 0;
      for (int k = 0; k < 4; k++) {
        for (int i = 0; i < 64; i++) prompt[i] = (int32_t)((uint64_t)(i * 31 + k * 17) % 256);
        dm_decode_params p = dm_decode_default_params();
        p.strategy = rows[r].s;
        p.threshold = rows[r].thr;
        dm_decode_stats st;
        run(c, prompt, 64, src, &p, &st);
        nfe += st.nfe;
        gen += before_eos(c);
        ms += st.total_ms;
      }
      printf("  %-22s %8.1f %10.1f %12.3f %10.1f\n", rows[r].name, nfe / 4, gen / 4, gen > 0 ? nfe / gen : 0, ms / 4);
    }
    printf("  (a random model is rarely confident: confident at 0.95 falls back to the schedule; "
           "what it saves on a trained model shows at lower thresholds here)\n");
    dm_canvas_free(c);
    dm_logits_source_free(src);
    dm_model_free(m);
    dm_prior_env_free(env);
    dm_tokenizer_free(tok);
  }

  /* Qwen3 vocabulary */
  dm_tokenizer *qt = NULL;
  dm_prior_env *qenv = NULL;
  if (dm_tokenizer_load(argv[2], &qt, &e) || dm_prior_env_new(qt, &qenv, &e)) die(argv[2], &e);
  int32_t QV = dm_tokenizer_vocab_size(qt);
  int32_t mask = QV; /* a mask id of the model's own, past the tokenizer's ids */
  dm_model *qm = random_model(DM_FAMILY_DREAM, 4, 256, 4, 2, 688, QV + 1, 11);

  /* ---- 2. prefill vs no prefill at prompt:canvas 4:1 ---- */
  if (strchr(parts, '2')) {
    int32_t P = 256, L = 64;
    int32_t *prompt = malloc((size_t)P * sizeof *prompt);
    for (int i = 0; i < P; i++) prompt[i] = (int32_t)(rnd() % 150000);
    dm_canvas *c = NULL;
    if (dm_canvas_free_text(qenv, L, NULL, &c, &e)) die("canvas", &e);
    printf("\nbench-decode 2: step time with and without the prefill cache, prompt %d : canvas %d, random "
           "Dream-layout model (4 layers, d 256, vocab %d), maskgit, 16 steps:\n", P, L, QV + 1);
    double per[2] = {0, 0};
    for (int pre = 1; pre >= 0; pre--) {
      dm_logits_source *src = NULL;
      if (dm_logits_source_model(qm, pre, mask, &src, &e)) die("source", &e);
      dm_decode_params p = dm_decode_default_params();
      p.strategy = DM_STRATEGY_MASKGIT;
      p.steps = 16;
      dm_decode_stats st;
      run(c, prompt, P, src, &p, &st); /* warm-up */
      run(c, prompt, P, src, &p, &st);
      per[pre] = st.model_ms / st.nfe;
      printf("  %-12s NFE %3d  model %8.1f ms  per step %7.2f ms  total %8.1f ms\n", pre ? "prefill" : "no prefill",
             st.nfe, st.model_ms, per[pre], st.total_ms);
      dm_logits_source_free(src);
    }
    printf("  prefill speed-up per step: %.2fx (the first step runs the whole sequence either way)\n",
           per[1] > 0 ? per[0] / per[1] : 0);
    dm_canvas_free(c);
    free(prompt);
  }

  /* ---- 3. constraint time share for JSON specs on Qwen3 ---- */
  if (strchr(parts, '3')) {
    const char *specs[] = {"contact-card.yaml", "invoice.yaml", "product-review.yaml"};
    printf("\nbench-decode 3: constraint time as a share of decode time, Qwen3 vocabulary (%d), same model, "
           "confident, greedy and sampled, prefill on:\n", QV);
    printf("  %-24s %6s %5s %6s %10s %10s %14s %9s %10s\n", "spec", "tokens", "NFE", "forced", "model ms", "constr ms",
           "constr/step ms", "share", "other ms");
    int32_t prompt[32];
    for (int i = 0; i < 32; i++) prompt[i] = (int32_t)(rnd() % 150000);
    dm_logits_source *src = NULL;
    if (dm_logits_source_model(qm, 1, mask, &src, &e)) die("source", &e);
    for (unsigned s = 0; s < sizeof specs / sizeof specs[0]; s++) {
      char path[8192];
      snprintf(path, sizeof path, "%s/%s", argv[3], specs[s]);
      dm_form *form = NULL;
      dm_canvas *c = NULL;
      if (dm_form_load(path, NULL, &form, &e) || dm_canvas_from_form(qenv, form, NULL, &c, &e)) die(path, &e);
      for (int sampled = 0; sampled < 2; sampled++) {
        dm_decode_params p = dm_decode_default_params();
        if (sampled) {
          p.temperature = 1.0;
          p.seed = 1;
        }
        dm_decode_stats st;
        run(c, prompt, 32, src, &p, &st); /* warm-up: token automata rows built lazily */
        run(c, prompt, 32, src, &p, &st);
        char name[64];
        snprintf(name, sizeof name, "%s%s", specs[s], sampled ? " T=1" : "");
        printf("  %-24s %6d %5d %6d %10.1f %10.1f %14.3f %8.1f%% %10.1f\n", name, st.canvas_tokens, st.nfe,
               st.forced, st.model_ms, st.constraint_ms, st.steps ? st.constraint_ms / st.steps : 0,
               100.0 * st.constraint_ms / st.total_ms, st.total_ms - st.model_ms - st.constraint_ms);
      }
      dm_canvas_free(c);
      dm_form_free(form);
    }
    dm_logits_source_free(src);
    printf("  (greedy checks the model's top token first and builds an allowed set only when it is refused;\n"
           "   T=1 draws up to 4 samples of the whole distribution (rejection sampling) before it does;\n"
           "   other: the decoder's own work, mostly the softmax over the whole vocabulary per masked row)\n");
  }
  dm_model_free(qm);
  dm_prior_env_free(qenv);
  dm_tokenizer_free(qt);
  return 0;
}
