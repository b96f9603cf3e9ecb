/* Model directories without tokenizer.json: the "slow" Hugging Face layout,
 * vocab.json + merges.txt + tokenizer_config.json (Dream-7B ships its Qwen2.5
 * tokenizer this way, with a custom Python tokenizer class).
 *
 * The tokenizer class in tokenizer_config.json says which pipeline the Python
 * tokenizer runs; we write the equivalent tokenizer.json text and load that:
 *   Qwen2Tokenizer, DreamTokenizer (any class naming Qwen2 or Dream): NFC, the Qwen2
 *     pre-tokenization regex, byte-level BPE, ByteLevel decoder;
 *   GPT2Tokenizer: byte-level BPE with the GPT-2 regex.
 * Added tokens come from tokenizer_config.json's added_tokens_decoder (id ->
 * {content, special, lstrip, rstrip, single_word, normalized}) and added_tokens.json
 * ({content: id}; special when named in the config's special tokens). Any other class
 * is refused with DM_EUNSUPPORTED naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

static const char *QWEN2_REGEX =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*"
    "|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+";

static int put(tk_buf *b, const char *s) { return tk_buf_put(b, s, strlen(s)); }

/* Append s (n bytes) as a JSON string literal. */
static int put_jstr(tk_buf *b, const char *s, size_t n) {
  if (tk_buf_put(b, "\"", 1)) return DM_ENOMEM;
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c != '"' && c != '\\' && c >= 0x20) continue;
    char esc[8];
    if (c == '"' || c == '\\') snprintf(esc, sizeof esc, "\\%c", c);
    else snprintf(esc, sizeof esc, "\\u%04x", c);
    if (tk_buf_put(b, s + run, i - run) || put(b, esc)) return DM_ENOMEM;
    run = i + 1;
  }
  if (tk_buf_put(b, s + run, n - run) || tk_buf_put(b, "\"", 1)) return DM_ENOMEM;
  return 0;
}

static int is_special_name(const cJSON *cfg, const char *content) {
  const char *keys[] = {"bos_token", "eos_token", "unk_token", "pad_token", "mask_token", "sep_token", "cls_token"};
  for (int k = 0; k < 7; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, keys[k]);
    if (cJSON_IsObject(v)) v = cJSON_GetObjectItemCaseSensitive(v, "content");
    if (cJSON_IsString(v) && strcmp(v->valuestring, content) == 0) return 1;
  }
  const cJSON *add = cJSON_GetObjectItemCaseSensitive(cfg, "additional_special_tokens");
  for (const cJSON *e = cJSON_IsArray(add) ? add->child : NULL; e; e = e->next) {
    const cJSON *v = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "content") : e;
    if (cJSON_IsString(v) && strcmp(v->valuestring, content) == 0) return 1;
  }
  return 0;
}

static int put_added(tk_buf *b, int *first, long id, const char *content, int special, int lstrip,
                     int rstrip, int single_word, int normalized) {
  char head[64];
  snprintf(head, sizeof head, "%s{\"id\":%ld,\"content\":", *first ? "" : ",", id);
  *first = 0;
  if (put(b, head) || put_jstr(b, content, strlen(content))) return DM_ENOMEM;
  char tail[160];
  snprintf(tail, sizeof tail, ",\"special\":%s,\"lstrip\":%s,\"rstrip\":%s,\"single_word\":%s,\"normalized\":%s}",
           special ? "true" : "false", lstrip ? "true" : "false", rstrip ? "true" : "false",
           single_word ? "true" : "false", normalized ? "true" : "false");
  return put(b, tail);
}

/* Build tokenizer.json text for the slow layout in `dir`. vocab, merges, cfg are the
 * file contents (added may be NULL). On success `out` holds the text. */
int tk_slow_to_json(const char *vocab, size_t vlen, const char *merges, size_t mlen, const char *cfg_text,
                    size_t cfg_len, const char *added, size_t alen, tk_buf *out, dm_error *err);
int tk_slow_to_json(const char *vocab, size_t vlen, const char *merges, size_t mlen, const char *cfg_text,
                    size_t cfg_len, const char *added, size_t alen, tk_buf *out, dm_error *err) {
  cJSON *cfg = cJSON_ParseWithLength(cfg_text, cfg_len);
  if (!cJSON_IsObject(cfg)) {
    cJSON_Delete(cfg);
    dm_error_set_named(err, DM_EFORMAT, "/", "tokenizer_config.json is not a JSON object");
    dm_error_set_source(err, "tokenizer_config.json");
    return DM_EFORMAT;
  }
  const cJSON *cls = cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer_class");
  const char *cn = cJSON_IsString(cls) ? cls->valuestring : "";
  int qwen = strstr(cn, "Qwen2") || strstr(cn, "Dream");
  int gpt2 = strstr(cn, "GPT2") != NULL;
  if (!qwen && !gpt2) {
    dm_error_set_named(err, DM_EUNSUPPORTED, "/tokenizer_class",
                       "no tokenizer.json, and vocab.json + merges.txt with tokenizer_class \"%s\" is not "
                       "supported (known: Qwen2Tokenizer, DreamTokenizer, GPT2Tokenizer)",
                       cn);
    dm_error_set_source(err, "tokenizer_config.json");
    cJSON_Delete(cfg);
    return DM_EUNSUPPORTED;
  }
  int rc = 0, first = 1;
  rc |= put(out, "{\"version\":\"1.0\",\"added_tokens\":[");
  /* added_tokens_decoder: {"151643": {...}, ...} */
  const cJSON *dec = cJSON_GetObjectItemCaseSensitive(cfg, "added_tokens_decoder");
  for (const cJSON *e = cJSON_IsObject(dec) ? dec->child : NULL; e && !rc; e = e->next) {
    char *end;
    long id = strtol(e->string ? e->string : "", &end, 10);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "content");
    if (!e->string || *end || id < 0 || !cJSON_IsString(c)) {
      char p[128];
      snprintf(p, sizeof p, "/added_tokens_decoder/%.100s", e->string ? e->string : "");
      rc = dm_error_set_named(err, DM_EFORMAT, p, "expected an id and {\"content\": ...}");
      dm_error_set_source(err, "tokenizer_config.json");
      break;
    }
    rc = put_added(out, &first, id, c->valuestring, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "special")),
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "lstrip")),
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "rstrip")),
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "single_word")),
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "normalized")));
  }
  if (!rc && added) {
    cJSON *a = cJSON_ParseWithLength(added, alen);
    if (!cJSON_IsObject(a)) {
      rc = dm_error_set_named(err, DM_EFORMAT, "/", "added_tokens.json is not a JSON object");
      dm_error_set_source(err, "added_tokens.json");
    }
    for (const cJSON *e = cJSON_IsObject(a) ? a->child : NULL; e && !rc; e = e->next) {
      if (!cJSON_IsNumber(e) || !e->string) continue;
      char key[32];
      snprintf(key, sizeof key, "%ld", (long)e->valuedouble);
      if (cJSON_IsObject(dec) && cJSON_GetObjectItemCaseSensitive(dec, key)) continue; /* already there */
      rc = put_added(out, &first, (long)e->valuedouble, e->string, is_special_name(cfg, e->string), 0, 0, 0, 0);
    }
    cJSON_Delete(a);
  }
  cJSON_Delete(cfg);
  if (rc) return rc < 0 ? rc : DM_ENOMEM;
  rc |= put(out, "],");
  if (qwen) {
    rc |= put(out, "\"normalizer\":{\"type\":\"NFC\"},\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":["
                   "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"");
    rc |= put(out, QWEN2_REGEX);
    rc |= put(out, "\"},\"behavior\":\"Isolated\",\"invert\":false},"
                   "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false}]},");
  } else {
    rc |= put(out, "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                   "\"use_regex\":true},");
  }
  rc |= put(out, "\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"vocab\":");
  rc |= tk_buf_put(out, vocab, vlen);
  rc |= put(out, ",\"merges\":[");
  first = 1;
  for (size_t i = 0; i < mlen && !rc;) {
    const char *nl = memchr(merges + i, '\n', mlen - i);
    size_t e = nl ? (size_t)(nl - merges) : mlen, l = e - i;
    if (l && merges[i + l - 1] == '\r') l--;
    if (l && !(l >= 8 && memcmp(merges + i, "#version", 8) == 0)) {
      if (!first) rc |= put(out, ",");
      first = 0;
      rc |= put_jstr(out, merges + i, l);
    }
    i = e + 1;
  }
  rc |= put(out, "]}}");
  return rc ? DM_ENOMEM : 0;
}
