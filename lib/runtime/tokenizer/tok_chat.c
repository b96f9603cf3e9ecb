/* Chat templates. C has no Jinja: the template families our models use are
 * recognised from tokenizer_config.json's chat_template text and formatted here.
 *   ChatML (Qwen2.5/Qwen3, Dream, Dimple):
 *     [<|im_start|>system\nSYSTEM<|im_end|>\n]<|im_start|>user\nUSER<|im_end|>\n
 *     <|im_start|>assistant\n
 *     SYSTEM defaults to the template's own default system prompt when it has one
 *     (Qwen2.5 and Dream write one; Qwen3 does not).
 *   Llama 3 headers (Llama 3, LLaDA):
 *     BOS<|start_header_id|>user<|end_header_id|>\n\nUSER<|eot_id|>
 *     <|start_header_id|>assistant<|end_header_id|>\n\n
 *     (a system turn first when given; message text trimmed when the template
 *     says "| trim"; BOS when the template uses bos_token). */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* The default system prompt written as a constant in a ChatML template, e.g.
 * '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n'; NULL when none. */
static char *chatml_default_system(const char *tmpl) {
  const char *keys[] = {"<|im_start|>system\\n", "<|im_start|>system\n"};
  for (int k = 0; k < 2; k++) {
    const char *p = tmpl;
    while ((p = strstr(p, keys[k])) != NULL) {
      p += strlen(keys[k]);
      const char *e = strstr(p, "<|im_end|>");
      if (!e) break;
      size_t n = (size_t)(e - p);
      if (n == 0 || memchr(p, '\'', n) || memchr(p, '"', n) || memchr(p, '{', n) || memchr(p, '+', n))
        continue;
      char *out = malloc(n + 1), *q = out;
      if (!out) return NULL;
      for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n && p[i + 1] == 'n') {
          *q++ = '\n';
          i++;
        } else {
          *q++ = p[i];
        }
      }
      *q = 0;
      return out;
    }
  }
  return NULL;
}

void tk_chat_detect(dm_tokenizer *t, const char *tmpl) {
  if (strstr(tmpl, "<|im_start|>")) {
    t->chat = DM_CHAT_CHATML;
    t->chat_default_system = chatml_default_system(tmpl);
  } else if (strstr(tmpl, "<|start_header_id|>") && strstr(tmpl, "<|end_header_id|>")) {
    t->chat = DM_CHAT_LLAMA3;
    /* bos_token and trim as the template says */
    t->chat_llama3_bos = strstr(tmpl, "bos_token") != NULL;
    t->chat_llama3_trim = strstr(tmpl, "| trim") != NULL || strstr(tmpl, "|trim") != NULL;
  } else {
    t->chat = DM_CHAT_UNKNOWN;
  }
}

dm_chat_family dm_tokenizer_chat_family(const dm_tokenizer *tok) {
  return tok ? tok->chat : DM_CHAT_NONE;
}

const char *dm_chat_family_name(dm_chat_family fam) {
  switch (fam) {
    case DM_CHAT_NONE: return "none";
    case DM_CHAT_UNKNOWN: return "unknown";
    case DM_CHAT_CHATML: return "chatml";
    case DM_CHAT_LLAMA3: return "llama3";
  }
  return "unknown";
}

static int is_py_space(char c) { return c == ' ' || (c >= 9 && c <= 13); }

/* Jinja's trim (Python str.strip) over ASCII whitespace. */
static int put_trimmed(tk_buf *b, const char *s, int trim) {
  size_t n = strlen(s), a = 0;
  if (trim) {
    while (a < n && is_py_space(s[a])) a++;
    while (n > a && is_py_space(s[n - 1])) n--;
  }
  return tk_buf_put(b, s + a, n - a);
}

static int puts_(tk_buf *b, const char *s) { return tk_buf_put(b, s, strlen(s)); }

long dm_chat_format(const dm_tokenizer *tok, const char *user, const char *system, char *buf,
                    size_t cap, dm_error *err) {
  if (!tok || !user || (!buf && cap)) return dm_error_set(err, DM_EINVAL, "dm_chat_format: NULL argument");
  if (tok->chat == DM_CHAT_NONE || tok->chat == DM_CHAT_UNKNOWN)
    return dm_error_set_named(err, DM_EUNSUPPORTED, "chat_template",
                              "%s: pass the prompt as it is with --raw-prompt (format it yourself)",
                              tok->chat == DM_CHAT_NONE ? "tokenizer_config.json has no chat template"
                                                        : "unrecognised chat template (known: ChatML as in "
                                                          "Qwen/Dream/Dimple, Llama 3 headers as in LLaDA)");
  tk_buf b = {0};
  int rc = 0;
  if (tok->chat == DM_CHAT_CHATML) {
    const char *sys = system ? system : tok->chat_default_system;
    if (sys)
      rc = puts_(&b, "<|im_start|>system\n") || puts_(&b, sys) || puts_(&b, "<|im_end|>\n");
    rc = rc || puts_(&b, "<|im_start|>user\n") || puts_(&b, user) ||
         puts_(&b, "<|im_end|>\n<|im_start|>assistant\n");
  } else {
    int trim = tok->chat_llama3_trim;
    if (tok->chat_llama3_bos && tok->bos_text) rc = puts_(&b, tok->bos_text);
    if (system)
      rc = rc || puts_(&b, "<|start_header_id|>system<|end_header_id|>\n\n") || put_trimmed(&b, system, trim) ||
           puts_(&b, "<|eot_id|>");
    rc = rc || puts_(&b, "<|start_header_id|>user<|end_header_id|>\n\n") || put_trimmed(&b, user, trim) ||
         puts_(&b, "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  }
  if (!rc) rc = tk_buf_put(&b, "", 0);
  if (rc) {
    tk_buf_free(&b);
    return dm_error_set(err, DM_ENOMEM, "out of memory");
  }
  if (cap) {
    size_t k = b.len < cap - 1 ? b.len : cap - 1;
    memcpy(buf, b.p, k);
    buf[k] = 0;
  }
  long n = (long)b.len;
  tk_buf_free(&b);
  return n;
}
