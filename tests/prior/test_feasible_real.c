/* The any-order guarantee on real vocabularies (Qwen3, Llama 3 from the npm cache):
 * for the suite's compiled schemas, random commit orders with random allowed tokens
 * always finish and the text is valid against the schema (canonical text accepted
 * by the DFA, parsed as JSON). SKIP (77) without the cache. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dimple/tokenizer.h>

#include "../../lib/prior/feasible.h"
#include "../../lib/prior/schema.h"

#define TEST_RNG_SEED 12345
#include "../testrng.h"
#include "../realvocab.h"


static const char *schemas[] = {
  "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":12},\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":130},\"email\":{\"type\":\"string\",\"format\":\"email\"}},\"required\":[\"name\",\"age\"]}",
  "{\"type\":\"array\",\"items\":{\"enum\":[\"red\",\"green\",\"blue\"]},\"minItems\":1,\"maxItems\":3}",
  "{\"type\":\"object\",\"properties\":{\"date\":{\"type\":\"string\",\"format\":\"date\"},\"amount\":{\"type\":\"number\",\"minimum\":0,\"maximum\":10000}},\"required\":[\"date\",\"amount\"]}",
  "{\"type\":\"object\",\"properties\":{\"answer\":{\"enum\":[\"yes\",\"no\"]},\"confidence\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1}},\"required\":[\"answer\"]}",
  "{\"type\":\"string\",\"pattern\":\"^[A-D]$\"}",
  "{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"sku\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}-[0-9]{3}$\"},\"qty\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":99}},\"required\":[\"sku\",\"qty\"]},\"maxItems\":2}},\"required\":[\"items\"]}",
};

START_TEST(random_orders_real_vocab) {
  dm_tokenizer *tok = NULL;
  dm_error e;
  dm_error_clear(&e);
  ck_assert_msg(dm_tokenizer_load(dm_real_vocab_path[_i], &tok, &e) == DM_OK, "%s", e.message);
  dm_vocab *v = NULL;
  ck_assert_int_eq(dm_vocab_from_tokenizer(tok, &v), DM_OK);
  int32_t eos = dm_tokenizer_special_id(tok, DM_SPECIAL_EOS);
  ck_assert_int_ge(eos, 0);
  uint64_t *bits = malloc(((size_t)v->n + 63) / 64 * sizeof *bits);
  int runs = 0, commits = 0;
  double t_allowed = 0, t_commit = 0;
  for (size_t k = 0; k < sizeof schemas / sizeof schemas[0]; k++) {
    cJSON *js = cJSON_Parse(schemas[k]);
    dm_dfa *d = NULL;
    ck_assert_msg(dm_schema_compile(js, NULL, &d, NULL, &e) == DM_OK, "schema %zu: %s", k, e.message);
    dm_tokauto *ta = NULL;
    ck_assert_int_eq(dm_tokauto_new(d, v, eos, NULL, &ta), DM_OK);
    for (int trial = 0; trial < 8; trial++) {
      int n = 8 + (int)(rnd() % 40);
      dm_slot s;
      if (dm_slot_init(&s, ta, n, NULL) != DM_OK) { dm_slot_free(&s); continue; }
      int32_t order[64];
      for (int i = 0; i < n; i++) order[i] = i;
      for (int i = n - 1; i > 0; i--) { int j = (int)(rnd() % (uint64_t)(i + 1)); int32_t t = order[i]; order[i] = order[j]; order[j] = t; }
      for (int q = 0; q < n; q++) {
        int32_t pos = order[q];
        if (s.tok[pos] >= 0) continue;
        clock_t c0 = clock();
        int32_t cnt = dm_slot_allowed(&s, pos, bits);
        t_allowed += (double)(clock() - c0) / CLOCKS_PER_SEC;
        ck_assert_msg(cnt > 0, "schema %zu: nothing allowed at %d", k, pos);
        int32_t pick = (int32_t)(rnd() % (uint64_t)cnt), t = -1;
        for (size_t w = 0; t < 0; w++)
          for (uint64_t b = bits[w]; b; b &= b - 1)
            if (pick-- == 0) { t = (int32_t)(w * 64 + (size_t)__builtin_ctzll(b)); break; }
        c0 = clock();
        ck_assert_int_eq(dm_slot_commit(&s, pos, t), DM_OK);
        t_commit += (double)(clock() - c0) / CLOCKS_PER_SEC;
        commits++;
      }
      char text[8192];
      size_t len = 0;
      for (int i = 0; i < n; i++) {
        if (s.tok[i] == eos) continue;
        size_t l;
        const uint8_t *b = dm_vocab_bytes(v, s.tok[i], &l);
        memcpy(text + len, b, l);
        len += l;
      }
      text[len] = 0;
      ck_assert_msg(dm_dfa_match(d, (const uint8_t *)text, len), "schema %zu: %s not in the language", k, text);
      cJSON *doc = cJSON_ParseWithLength(text, len);
      ck_assert_msg(doc != NULL, "schema %zu: not JSON: %s", k, text);
      cJSON_Delete(doc);
      dm_slot_free(&s);
      runs++;
    }
    printf("  schema %zu: automaton %d states, %.1f MB of token sets and rows\n", k, dm_tokauto_nstates(ta),
           dm_tokauto_memory(ta) / 1048576.0);
    dm_tokauto_free(ta);
    dm_dfa_free(d);
    cJSON_Delete(js);
  }
  printf("%s: %d fills, %d commits; mean allowed() %.1f us, commit() %.1f us (unoptimised build timings, informative)\n",
         dm_real_vocab_name(_i), runs, commits, 1e6 * t_allowed / commits, 1e6 * t_commit / commits);
  ck_assert_int_ge(runs, 20);
  free(bits);
  dm_vocab_free(v);
  dm_tokenizer_free(tok);
}
END_TEST

int main(void) { return dm_test_main_real_vocabs("prior/feasible_real", random_orders_real_vocab); }
