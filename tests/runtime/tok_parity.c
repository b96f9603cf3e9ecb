/* Compare the tokenizer with the oracle's output on a corpus (see
 * tests/runtime/tokenizer-parity.sh, tests/data/tokenizer/oracle.js).
 *
 * Usage: tok_parity TOKENIZER CORPUS ORACLE [--roundtrip]
 *   CORPUS  records separated by NUL bytes
 *   ORACLE  per record: IDS \t ROUNDTRIP-HEX \t DECODED-HEX
 * Checks, per record: encode (with special-token parsing, as the oracle does) gives
 * the oracle's ids exactly; decode of those ids gives the oracle's decoded text; with
 * --roundtrip also decode(encode(x)) == x as the oracle sees x (invalid UTF-8 as
 * U+FFFD, normalized when the tokenizer normalizes).
 * Prints the counts and the first mismatches; exit 0 when all match, 1 otherwise,
 * 2 on bad usage or unreadable input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dimple/runtime.h>

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 20, n = 0;
  char *b = malloc(cap + 1);
  size_t r;
  while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      cap *= 2;
      char *nb = realloc(b, cap + 1);
      if (!nb) {
        free(b);
        b = NULL;
      }
      b = nb;
    }
  }
  fclose(f);
  if (b) b[n] = 0;
  *len = n;
  return b;
}

static int unhex(const char *s, size_t n, char *out) {
  for (size_t i = 0; i + 1 < n + 1 && i < n; i += 2) {
    unsigned v;
    if (sscanf(s + i, "%2x", &v) != 1) return -1;
    out[i / 2] = (char)v;
  }
  return 0;
}

static void show(const char *what, const char *s, size_t n) {
  fprintf(stderr, "  %s (%zu bytes): \"", what, n);
  for (size_t i = 0; i < n && i < 160; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') fputc(c, stderr);
    else fprintf(stderr, "\\x%02x", c);
  }
  fprintf(stderr, "%s\"\n", n > 160 ? "..." : "");
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: tok_parity TOKENIZER CORPUS ORACLE [--roundtrip]\n");
    return 2;
  }
  int roundtrip = argc > 4 && strcmp(argv[4], "--roundtrip") == 0;
  dm_error err;
  dm_error_clear(&err);
  dm_tokenizer *tok;
  if (dm_tokenizer_load(argv[1], &tok, &err) != DM_OK) {
    char line[1024];
    dm_error_format(&err, line, sizeof line);
    fprintf(stderr, "tok_parity: %s\n", line);
    return 2;
  }
  size_t clen, olen;
  char *corpus = slurp(argv[2], &clen), *oracle = slurp(argv[3], &olen);
  if (!corpus || !oracle) {
    fprintf(stderr, "tok_parity: cannot read %s\n", corpus ? argv[3] : argv[2]);
    return 2;
  }
  size_t nrec = 0, ok_ids = 0, ok_dec = 0, ok_rt = 0, shown = 0, nids = 0;
  char *rec = corpus, *ol = oracle;
  size_t cap = 1 << 16;
  int32_t *ids = malloc(cap * sizeof *ids), *want = malloc(cap * sizeof *want);
  char *dec = malloc(4 * 1 << 20), *exp = malloc(4 * 1 << 20);
  for (;;) {
    char *end = memchr(rec, 0, (size_t)(corpus + clen - rec));
    size_t rlen = end ? (size_t)(end - rec) : (size_t)(corpus + clen - rec);
    char *nl = strchr(ol, '\n');
    if (!nl) {
      fprintf(stderr, "tok_parity: oracle file ends early at record %zu\n", nrec);
      return 2;
    }
    *nl = 0;
    char *tab1 = strchr(ol, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2) {
      fprintf(stderr, "tok_parity: bad oracle line %zu\n", nrec + 1);
      return 2;
    }
    size_t nw = 0;
    for (char *p = ol; p < tab1;) {
      char *q;
      long v = strtol(p, &q, 10);
      if (q == p) break;
      want[nw++] = (int32_t)v;
      p = q;
    }
    long n = dm_tokenizer_encode(tok, rec, rlen, DM_TOKENIZE_PARSE_SPECIAL, ids, cap, &err);
    nrec++;
    nids += nw;
    int same = n == (long)nw && memcmp(ids, want, nw * sizeof *ids) == 0;
    ok_ids += same;
    if (!same && shown++ < 5) {
      fprintf(stderr, "record %zu: ids differ\n", nrec);
      show("text", rec, rlen);
      fprintf(stderr, "  ours  :");
      for (long i = 0; i < n && i < 40; i++) fprintf(stderr, " %d", ids[i]);
      fprintf(stderr, "\n  oracle:");
      for (size_t i = 0; i < nw && i < 40; i++) fprintf(stderr, " %d", want[i]);
      fprintf(stderr, "\n");
    }
    /* decode the oracle's ids, compare with its decode */
    long dl = dm_tokenizer_decode(tok, want, nw, 0, dec, 4 << 20, &err);
    size_t el = strlen(tab2 + 1) / 2;
    unhex(tab2 + 1, el * 2, exp);
    int dsame = dl == (long)el && memcmp(dec, exp, el) == 0;
    ok_dec += dsame;
    if (!dsame && shown++ < 5) {
      fprintf(stderr, "record %zu: decode differs\n", nrec);
      show("ours  ", dec, dl > 0 ? (size_t)dl : 0);
      show("oracle", exp, el);
    }
    if (roundtrip) {
      long rl = n >= 0 ? dm_tokenizer_decode(tok, ids, (size_t)n, 0, dec, 4 << 20, &err) : -1;
      size_t xl = (size_t)(tab2 - tab1 - 1) / 2;
      unhex(tab1 + 1, xl * 2, exp);
      int rsame = rl == (long)xl && memcmp(dec, exp, xl) == 0;
      ok_rt += rsame;
      if (!rsame && shown++ < 5) {
        fprintf(stderr, "record %zu: decode(encode(x)) != x\n", nrec);
        show("x     ", exp, xl);
        show("result", dec, rl > 0 ? (size_t)rl : 0);
      }
    }
    ol = nl + 1;
    if (!end) break;
    rec = end + 1;
  }
  printf("%s: %zu records, %zu oracle ids: ids equal %zu/%zu, decode equal %zu/%zu", argv[1], nrec, nids,
         ok_ids, nrec, ok_dec, nrec);
  if (roundtrip) printf(", decode(encode(x)) == x %zu/%zu", ok_rt, nrec);
  printf("\n");
  int fail = ok_ids != nrec || ok_dec != nrec || (roundtrip && ok_rt != nrec);
  free(ids);
  free(want);
  free(dec);
  free(exp);
  free(corpus);
  free(oracle);
  dm_tokenizer_free(tok);
  return fail;
}
