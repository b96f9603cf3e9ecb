/* Tokenizer internals (not installed). One dm_tokenizer holds the vocabulary in one
 * byte pool, hash maps over it, the merges, the added tokens and the component
 * chains (normalizers, pre-tokenizers, decoders) parsed from tokenizer.json. */
#ifndef DM_TOK_INTERNAL_H
#define DM_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cjson/cJSON.h>

#include <dimple/tokenizer.h>

/* ------------------------------------------------------------------ byte buffers */

/* A growable byte buffer; owns `p`. */
typedef struct tk_buf {
  char *p;
  size_t len, cap;
} tk_buf;

int tk_buf_reserve(tk_buf *b, size_t extra);
int tk_buf_put(tk_buf *b, const void *data, size_t n);
void tk_buf_free(tk_buf *b);

/* A span into some buffer. */
typedef struct tk_span {
  size_t off, len;
} tk_span;

/* A growable list of spans; owns `v`. */
typedef struct tk_spans {
  tk_span *v;
  size_t n, cap;
} tk_spans;

int tk_spans_push(tk_spans *s, size_t off, size_t len);
void tk_spans_free(tk_spans *s);

/* A growable list of ids; owns `v`. */
typedef struct tk_ids {
  int32_t *v;
  size_t n, cap;
} tk_ids;

int tk_ids_push(tk_ids *s, int32_t id);
void tk_ids_free(tk_ids *s);

/* ------------------------------------------------------------------ UTF-8 */

/* Length of the UTF-8 sequence starting with byte c (1 for invalid lead bytes). */
static inline size_t tk_utf8_len(unsigned char c) {
  return c < 0x80 ? 1 : c < 0xE0 ? 2 - (c < 0xC0) : c < 0xF0 ? 3 : 4 - (c >= 0xF8) * 3;
}
/* Decode one code point at s (n bytes available, text known valid); sets *adv. */
uint32_t tk_utf8_decode(const char *s, size_t n, size_t *adv);
/* Encode code point cp into out (4 bytes room); returns the length. */
size_t tk_utf8_encode(uint32_t cp, char *out);
/* Length of the valid UTF-8 sequence at s, or 0 when the bytes there do not start
 * one; *bad receives the length of the maximal invalid subpart in that case. */
size_t tk_utf8_valid_at(const unsigned char *s, size_t n, size_t *bad);
/* 1 when all n bytes are valid UTF-8. */
int tk_utf8_valid(const char *s, size_t n);
/* Append s to out with every maximal invalid subpart replaced by U+FFFD. */
int tk_utf8_sanitize(const char *s, size_t n, tk_buf *out);
/* JavaScript's String.prototype.trim whitespace set (for added-token lstrip/rstrip). */
int tk_is_js_space(uint32_t cp);

/* ------------------------------------------------------------------ hash maps */

uint64_t tk_hash(const void *data, size_t n);

/* Map from byte strings (stored in the tokenizer pool) to ids; open addressing. */
typedef struct tk_strmap {
  uint32_t *slot; /* pairs (id + 1, low 32 bits of the hash); id + 1 == 0: empty */
  size_t mask;
} tk_strmap;

/* Map from a pair of ids to (rank, merged id); one 16-byte slot per entry, so a
 * lookup touches one cache line. */
typedef struct tk_pair_slot {
  uint64_t key;   /* (a << 32 | b) + 1, 0 = empty */
  int32_t rank;
  int32_t merged;
} tk_pair_slot;

typedef struct tk_pairmap {
  tk_pair_slot *slot;
  size_t mask;
} tk_pairmap;

int tk_pairmap_init(tk_pairmap *m, size_t n);
void tk_pairmap_free(tk_pairmap *m);
/* Insert; keeps the first rank for a duplicate pair. */
void tk_pairmap_put(tk_pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t merged);
static inline int tk_pairmap_get(const tk_pairmap *m, int32_t a, int32_t b, int32_t *rank,
                                 int32_t *merged) {
  uint64_t k = (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
  uint64_t h = k * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)(h >> 20) & m->mask;
  for (;;) {
    const tk_pair_slot *s = &m->slot[i];
    if (s->key == k) {
      *rank = s->rank;
      *merged = s->merged;
      return 1;
    }
    if (s->key == 0) return 0;
    i = (i + 1) & m->mask;
  }
}

/* ------------------------------------------------------------------ components */

typedef enum tk_norm_kind { TK_NORM_NFC, TK_NORM_NFD, TK_NORM_NFKC, TK_NORM_NFKD,
                            TK_NORM_PREPEND, TK_NORM_REPLACE } tk_norm_kind;
typedef struct tk_norm {
  tk_norm_kind kind;
  char *a, *b;        /* PREPEND: a = text; REPLACE: a = pattern string, b = content */
  pcre2_code *re;     /* REPLACE with a Regex pattern */
} tk_norm;

typedef enum tk_pre_kind { TK_PRE_SPLIT, TK_PRE_BYTELEVEL, TK_PRE_METASPACE,
                           TK_PRE_DIGITS } tk_pre_kind;
typedef enum tk_split_behavior { TK_SPLIT_ISOLATED, TK_SPLIT_REMOVED, TK_SPLIT_MERGED_PREV,
                                 TK_SPLIT_MERGED_NEXT, TK_SPLIT_CONTIGUOUS } tk_split_behavior;
typedef struct tk_pre {
  tk_pre_kind kind;
  pcre2_code *re;          /* SPLIT, BYTELEVEL with use_regex, DIGITS */
  tk_split_behavior behavior;
  int invert;
  int add_prefix_space;    /* BYTELEVEL */
  char repl[8];            /* METASPACE replacement (UTF-8) */
  int prepend;             /* METASPACE: 0 never, 1 always, 2 first */
  int split;               /* METASPACE */
} tk_pre;

typedef enum tk_dec_kind { TK_DEC_BYTELEVEL, TK_DEC_METASPACE, TK_DEC_BYTEFALLBACK,
                           TK_DEC_FUSE, TK_DEC_STRIP, TK_DEC_REPLACE } tk_dec_kind;
typedef struct tk_dec {
  tk_dec_kind kind;
  char *a, *b;             /* REPLACE: pattern string, content; STRIP: a = content */
  int start, stop;         /* STRIP */
  char repl[8];            /* METASPACE replacement */
  int prepend;             /* METASPACE: strip the first token's leading space */
} tk_dec;

typedef struct tk_added {
  int32_t id;
  uint32_t len;
  uint32_t off;        /* content in the pool */
  unsigned char special, lstrip, rstrip, single_word, normalized;
} tk_added;

/* ------------------------------------------------------------------ word cache */

/* BPE results of short words, shared by all encode calls on a tokenizer: direct
 * mapped, one 64-byte slot per word, guarded by a mutex (encode may run on several
 * threads at once). */
#define TK_CACHE_SLOTS (1 << 14)
#define TK_CACHE_WORD 24
#define TK_CACHE_IDS 6
typedef struct tk_cache_slot {
  uint64_t h;
  uint16_t wlen, nids; /* wlen 0: empty */
  char w[TK_CACHE_WORD];
  int32_t ids[TK_CACHE_IDS];
} tk_cache_slot;

typedef struct tk_cache {
  pthread_mutex_t lock;
  tk_cache_slot slot[TK_CACHE_SLOTS];
} tk_cache;

/* ------------------------------------------------------------------ tokenizer */

struct dm_tokenizer {
  tk_buf pool;               /* all strings */
  size_t pool_hint;          /* bytes to reserve for the pool while loading */
  int32_t n_ids;
  uint32_t *piece_off;       /* piece (NUL-terminated) in pool */
  uint32_t *piece_len;
  uint32_t *bytes_off, *bytes_len; /* vocabulary-view bytes in pool */
  uint8_t *flags;            /* DM_TOKEN_* */

  tk_strmap piece_map;       /* piece -> id: vocabulary and added tokens */
  tk_strmap model_map;       /* model key -> id (model vocabulary only): raw bytes for
                                byte-level models, the piece otherwise */
  int map_by_bytes;          /* model_map keys are key_off/key_len (else the piece) */
  uint32_t *key_off, *key_len; /* byte-level: the raw bytes of each vocabulary piece */
  tk_pairmap merges;
  int32_t n_merges;

  int byte_level;            /* the pre-tokenizer ends in ByteLevel */
  int32_t byte_id[256];      /* byte-level: id of each byte's one-char token (-1) */
  int byte_fallback;
  int32_t fallback_id[256];  /* "<0xNN>" ids (-1) */
  int32_t unk_id;
  int fuse_unk, ignore_merges;

  tk_norm *norms; size_t n_norms;
  tk_pre *pres; size_t n_pres;
  tk_dec *decs; size_t n_decs;

  tk_added *added; size_t n_added;   /* sorted by first byte, longest first */
  uint32_t added_bucket[257];        /* added[bucket[b], bucket[b+1]) start with byte b */
  int has_normalized_added;

  tk_cache *cache;                   /* NULL: no cache */

  int32_t special_ids[6];
  dm_chat_family chat;
  char *chat_default_system;         /* ChatML default system prompt or NULL */
  char *bos_text;                    /* tokenizer_config.json's bos_token or NULL */
  int chat_llama3_bos, chat_llama3_trim; /* the Llama 3 template uses bos_token, | trim */
};

/* Pool helpers: append a string, return its offset. UINT32_MAX on failure. */
uint32_t tk_pool_add(dm_tokenizer *t, const char *s, size_t n);
static inline const char *tk_pool_str(const dm_tokenizer *t, uint32_t off) {
  return t->pool.p + off;
}

/* String maps over the tokenizer's pool. key(id) gives the key bytes of an id. */
int tk_strmap_init(tk_strmap *m, size_t n);
void tk_strmap_free(tk_strmap *m);
int32_t tk_piece_lookup(const dm_tokenizer *t, const char *s, size_t n);
int32_t tk_model_lookup(const dm_tokenizer *t, const char *s, size_t n);
/* Insert id under its key; returns the id already there (>= 0) or -1 when new. */
int32_t tk_piece_insert(dm_tokenizer *t, int32_t id);
int32_t tk_model_insert(dm_tokenizer *t, int32_t id);

/* GPT-2 byte <-> unicode map. */
uint32_t tk_byte_to_cp(unsigned char b);
int tk_cp_to_byte(uint32_t cp); /* -1 when cp is not in the map */

/* Component parsing (tokenizer.json sections). Each returns 0 or a DM_E* with err set
 * (the JSON pointer of the offending part). */
int tk_parse_normalizer(dm_tokenizer *t, const cJSON *j, const char *ptr, dm_error *err);
int tk_parse_pre_tokenizer(dm_tokenizer *t, const cJSON *j, const char *ptr, dm_error *err);
int tk_parse_decoder(dm_tokenizer *t, const cJSON *j, const char *ptr, dm_error *err);
/* Compile a Hugging Face regex (Oniguruma syntax as exported) with PCRE2, rewritten so
 * that \s, \d, \w mean what the oracle (JavaScript, u flag) means. */
pcre2_code *tk_regex_compile(const char *pattern, const char *ptr, dm_error *err);
void tk_components_free(dm_tokenizer *t);

/* Normalize text (n bytes, valid UTF-8) through the normalizer chain into out
 * (cleared first). */
int tk_normalize(const dm_tokenizer *t, const char *s, size_t n, tk_buf *out);
/* Pre-tokenize: text in buf (may be rewritten: Metaspace) -> word spans into buf.
 * `first` is 1 for the first section of the input. */
int tk_pre_tokenize(const dm_tokenizer *t, tk_buf *buf, tk_spans *words, int first,
                    pcre2_match_data *md, tk_buf *scratch, tk_spans *tmp);

/* BPE over one word (byte string). Appends ids to out. */
int tk_bpe_word(const dm_tokenizer *t, const char *w, size_t n, tk_ids *out);
/* The plain reference twin (quadratic, no heap), for tests. */
int tk_bpe_word_ref(const dm_tokenizer *t, const char *w, size_t n, tk_ids *out);

/* Decoder chain over ids -> bytes (appended to out). */
int tk_decode_ids(const dm_tokenizer *t, const int32_t *ids, size_t n, int flags, tk_buf *out);
/* Compute bytes_off/bytes_len of every id (the vocabulary view). */
int tk_build_view(dm_tokenizer *t, dm_error *err);

/* tok_json.c: the scanner for model.vocab and model.merges. */
int tk_json_string(const char *s, size_t n, size_t *i, tk_buf *out);
void tk_json_model_spans(const char *s, size_t n, tk_span *vocab, tk_span *merges);
typedef int (*tk_vocab_fn)(void *ctx, const char *key, size_t kn, long id, size_t at);
int tk_json_vocab(const char *s, tk_span sp, tk_buf *scratch, tk_vocab_fn fn, void *ctx, size_t *bad_at);
typedef int (*tk_merge_fn)(void *ctx, const char *a, size_t al, const char *b, size_t bl,
                           size_t rank, size_t at);
int tk_json_merges(const char *s, tk_span sp, tk_buf *scratch, tk_merge_fn fn, void *ctx, size_t *bad_at);

#define TK_MAX_IDS (1 << 24)

/* Where the model's vocab and merges are: cJSON nodes, or spans of the text read by
 * tok_json.c. */
typedef struct model_src {
  const char *text;
  size_t len;
  tk_span vocab, merges; /* len 0: not cut out, use the cJSON nodes */
} model_src;

/* tok_model.c: the model section (and added_tokens). */
int tk_parse_model(dm_tokenizer *t, const cJSON *model, const cJSON *added, const model_src *src,
                   dm_error *err);
/* tok_config.c: tokenizer_config.json (cfg may be NULL). */
int tk_apply_config(dm_tokenizer *t, const cJSON *cfg, dm_error *err);

/* Chat template detection from tokenizer_config.json's chat_template. */
void tk_chat_detect(dm_tokenizer *t, const char *tmpl);

/* Added tokens: find the next added token occurrence in s[from, n). Returns the index
 * into t->added, or -1; *at receives the start. Only tokens with normalized ==
 * want_normalized, and special ones only when parse_special. */
long tk_added_find(const dm_tokenizer *t, const char *s, size_t n, size_t from, int parse_special,
                   int want_normalized, size_t *at);
int tk_added_prepare(dm_tokenizer *t);

#endif
