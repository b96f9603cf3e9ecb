/* dimple/tokenizer.h — Hugging Face tokenizers (tokenizer.json) and chat templates.
 * Part of libdimple-runtime.
 *
 * Supported: model BPE (byte-level GPT-2 style as in Qwen2.5/Qwen3/Llama 3/LLaDA, and
 * SentencePiece-style byte_fallback with Metaspace/Prepend+Replace as in Llama 2),
 * merges as "a b" strings or ["a","b"] pairs, ignore_merges, added tokens (special
 * and normal; lstrip/rstrip/single_word/normalized), normalizers NFC, Prepend,
 * Replace, Sequence; pre-tokenizers Split (PCRE2), ByteLevel, Metaspace, Digits,
 * Sequence; decoders ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace,
 * Sequence. Any other component is refused at load time with DM_EUNSUPPORTED and
 * the JSON pointer of the component. The post_processor is not applied: encoding
 * never adds BOS/EOS or template tokens (as `add_special_tokens: false`); callers
 * add them explicitly (see dm_tokenizer_special_id()).
 *
 * Text in is UTF-8. Invalid UTF-8 sequences are replaced by U+FFFD before
 * tokenization, one U+FFFD per maximal invalid subpart (the WHATWG/Unicode rule that
 * node's TextDecoder and Buffer use), so the ids are those Hugging Face tokenizers
 * give for the string a JavaScript or Python program would have decoded.
 *
 * Threads: any number of threads may encode, decode and query one tokenizer at
 * once (its only mutable state, a cache of BPE results, has a lock).
 *
 * Reference: the ids are checked id for id against @lenml/tokenizers (Hugging Face
 * tokenizers in JavaScript) on real Qwen3, Llama 3 and Llama 2 files. Where that
 * oracle and Hugging Face's Rust library differ we follow the oracle: regex \s is
 * JavaScript's (U+FEFF is white space, U+0085 is not; Rust has it the other way
 * round), and the contraction group (?i:'s|...) is matched as [sS]... (U+017F does
 * not match 's'). truncation/padding settings in tokenizer.json are not applied.
 */
#ifndef DIMPLE_TOKENIZER_H
#define DIMPLE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dm_tokenizer dm_tokenizer;

/* Load a tokenizer. `path` is a model directory (tokenizer.json and, when present,
 * tokenizer_config.json) or the path of a tokenizer.json file (then
 * tokenizer_config.json is looked for beside it). A directory without tokenizer.json
 * may have the "slow" layout instead: vocab.json + merges.txt + tokenizer_config.json
 * (+ added_tokens.json), as Dream-7B ships its Qwen2.5 tokenizer; tokenizer_class
 * Qwen2Tokenizer/DreamTokenizer (and GPT2Tokenizer) are understood. On success *out owns a new
 * tokenizer (free with dm_tokenizer_free). On failure *out is NULL and err (may be
 * NULL) names the file and the JSON pointer or field at fault. Errors: DM_ENOENT,
 * DM_EIO, DM_EFORMAT (not JSON, wrong types), DM_ETOKENIZER (inconsistent content,
 * e.g. a merge naming an unknown token), DM_EUNSUPPORTED (a component we do not
 * implement), DM_ENOMEM. */
int dm_tokenizer_load(const char *path, dm_tokenizer **out, dm_error *err);

/* Load from tokenizer.json text in memory (`json`, `len` bytes, need not be
 * NUL-terminated) and optional tokenizer_config.json text (`config`, may be NULL).
 * `source` (may be NULL) names the input in errors. Same results as above. */
int dm_tokenizer_load_json(const char *json, size_t len, const char *config, size_t config_len,
                           const char *source, dm_tokenizer **out, dm_error *err);

/* Free a tokenizer; NULL is a no-op. */
void dm_tokenizer_free(dm_tokenizer *tok);

/* ------------------------------------------------------------------ encode/decode */

/* Flags of dm_tokenizer_encode. */
enum {
  /* Recognise special added tokens ("<|im_start|>", "<|eot_id|>" ...) written in the
   * text and emit their ids. Without it they are tokenized as plain text. Non-special
   * added tokens (e.g. Qwen's "<think>") are always recognised, as Hugging Face does. */
  DM_TOKENIZE_PARSE_SPECIAL = 1 << 0
};

/* Encode `len` bytes of UTF-8 `text` into ids. Writes at most `cap` ids to `ids` (may
 * be NULL when cap is 0) and returns the number of ids the text needs (>= 0): when
 * the result is > cap, only the first cap ids were written and the caller retries
 * with a bigger buffer. Returns a negative DM_E* on error (DM_EINVAL for a NULL
 * tokenizer or text with len > 0, DM_ENOMEM). The caller owns `ids`. */
long dm_tokenizer_encode(const dm_tokenizer *tok, const char *text, size_t len, int flags,
                         int32_t *ids, size_t cap, dm_error *err);

/* As dm_tokenizer_encode, into a new array: on success *ids_out (free with free())
 * holds *n_out ids (a non-NULL pointer even when *n_out is 0). Returns 0 or a
 * negative DM_E*; on error *ids_out is NULL and *n_out 0. */
int dm_tokenizer_encode_alloc(const dm_tokenizer *tok, const char *text, size_t len, int flags,
                              int32_t **ids_out, size_t *n_out, dm_error *err);

/* Called by dm_tokenizer_pre_tokenize with each word (`len` bytes at `word`, valid
 * only during the call); a non-zero return stops it and is returned. */
typedef int (*dm_tokenizer_word_fn)(void *ctx, const char *word, size_t len);

/* The words BPE would see when encoding `text` (same flags as dm_tokenizer_encode):
 * the text after UTF-8 repair, added-token splitting (added tokens themselves are
 * left out), normalization and pre-tokenization, in order. A byte-level tokenizer's
 * words are raw UTF-8 bytes (the GPT-2 byte map is not applied). For BPE training
 * (train/bpe.h). Returns 0, the callback's non-zero value, or a negative DM_E*. */
int dm_tokenizer_pre_tokenize(const dm_tokenizer *tok, const char *text, size_t len, int flags,
                              dm_tokenizer_word_fn fn, void *ctx, dm_error *err);

/* Flags of dm_tokenizer_decode. */
enum {
  DM_DETOKENIZE_SKIP_SPECIAL = 1 << 0, /* leave out special tokens */
  DM_DETOKENIZE_RAW = 1 << 1           /* do not replace invalid UTF-8 by U+FFFD */
};

/* Decode `n` ids into text through the tokenizer's decoder chain. Writes at most
 * `cap` bytes to `buf` (NUL-terminated when cap > 0, truncated when short) and
 * returns the length of the full text (>= 0, excluding the NUL), as snprintf: the
 * output was cut when the result is >= cap. Without DM_DETOKENIZE_RAW, byte
 * sequences that are not valid UTF-8 (a multi-byte character split off by the
 * caller) come out as U+FFFD. Negative DM_E* on error: DM_ERANGE for an id outside
 * [0, vocab_size) (err names the index), DM_ENOMEM. The caller owns `buf`. */
long dm_tokenizer_decode(const dm_tokenizer *tok, const int32_t *ids, size_t n, int flags,
                         char *buf, size_t cap, dm_error *err);

/* ------------------------------------------------------------------ vocabulary view */

/* Number of ids: 1 + the largest id of the model vocabulary and added tokens.
 * Ids in [0, vocab_size) without a token (holes) have an empty piece and the flag
 * DM_TOKEN_UNUSED. */
int32_t dm_tokenizer_vocab_size(const dm_tokenizer *tok);

/* Token flags (bit set). */
enum {
  DM_TOKEN_SPECIAL = 1 << 0,      /* an added token marked special (BOS, EOS, <|im_end|> ...) */
  DM_TOKEN_CONTROL = 1 << 1,      /* special and not meant to be generated as text; today
                                     the same set as DM_TOKEN_SPECIAL */
  DM_TOKEN_ADDED = 1 << 2,        /* from added_tokens (special or not) */
  DM_TOKEN_BYTE_FALLBACK = 1 << 3, /* a "<0xNN>" byte token of a byte_fallback model */
  DM_TOKEN_UNUSED = 1 << 4,       /* no token has this id */
  DM_TOKEN_UNK = 1 << 5           /* the model's unknown token */
};

/* Flags of token `id`; 0 for an ordinary vocabulary token; DM_TOKEN_UNUSED for an id
 * out of range. */
unsigned dm_tokenizer_token_flags(const dm_tokenizer *tok, int32_t id);

/* The exact bytes token `id` contributes when it appears in the middle of a decoded
 * sequence: byte-level tokens with the GPT-2 byte map undone, "<0xNN>" as that one
 * byte, Metaspace's "▁" as a space, added tokens as their content. May be any bytes
 * (a piece of a multi-byte UTF-8 character). *len receives the length. Returns a
 * pointer owned by the tokenizer (valid until dm_tokenizer_free; not
 * NUL-terminated in general), or NULL for an id out of range. */
const char *dm_tokenizer_token_bytes(const dm_tokenizer *tok, int32_t id, size_t *len);

/* The token's piece as written in tokenizer.json ("Ġhello", "▁the", "<0x0A>",
 * "<|im_end|>"), NUL-terminated, owned by the tokenizer; NULL for an id out of
 * range, "" for an unused id. */
const char *dm_tokenizer_token_piece(const dm_tokenizer *tok, int32_t id);

/* Id of the token whose piece is `piece` (as in tokenizer.json: vocabulary entries
 * and added tokens), or -1 when there is none. */
int32_t dm_tokenizer_token_id(const dm_tokenizer *tok, const char *piece);

/* Well-known special tokens. */
typedef enum dm_special_token {
  DM_SPECIAL_BOS = 0,
  DM_SPECIAL_EOS,
  DM_SPECIAL_PAD,
  DM_SPECIAL_UNK,
  DM_SPECIAL_MASK, /* "<|mask|>", "<|mdm_mask|>", "[MASK]" ... when the vocabulary has one */
  DM_SPECIAL_EOT   /* end of turn: "<|im_end|>" (ChatML), "<|eot_id|>" (Llama 3) */
} dm_special_token;

/* Id of a well-known special token, or -1 when the tokenizer has none. BOS, EOS, PAD
 * and UNK come from tokenizer_config.json (bos_token, eos_token, pad_token,
 * unk_token) or the model's unk_token; MASK from mask_token or else the first of
 * "<|mdm_mask|>", "<|mask|>", "[MASK]", "<mask>" in the vocabulary; EOT from the
 * chat family. */
int32_t dm_tokenizer_special_id(const dm_tokenizer *tok, dm_special_token which);

/* ------------------------------------------------------------------ chat templates */

/* Chat template families recognised in tokenizer_config.json's chat_template. */
typedef enum dm_chat_family {
  DM_CHAT_NONE = 0,   /* no chat_template in tokenizer_config.json */
  DM_CHAT_UNKNOWN,    /* a template we do not recognise */
  DM_CHAT_CHATML,     /* <|im_start|>role\n...<|im_end|>\n (Qwen2.5/Qwen3, Dream, Dimple) */
  DM_CHAT_LLAMA3      /* <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|> (Llama 3, LLaDA) */
} dm_chat_family;

dm_chat_family dm_tokenizer_chat_family(const dm_tokenizer *tok);
/* "none", "unknown", "chatml", "llama3" (static). */
const char *dm_chat_family_name(dm_chat_family fam);

/* Format one user turn (and an optional system prompt, NULL for none: the template's
 * own default system prompt is used when it has one, as Qwen2.5/Dream do) followed
 * by the generation prompt of the assistant, as the model's chat template does.
 * Text goes to `buf` as dm_tokenizer_decode: NUL-terminated, at most `cap` bytes,
 * returns the full length (>= 0) or a negative DM_E*. DM_EUNSUPPORTED (err says to
 * pass a raw prompt with --raw-prompt) when the tokenizer has no chat template or one
 * we do not recognise. The result contains special tokens as text: encode it with
 * DM_TOKENIZE_PARSE_SPECIAL. */
long dm_chat_format(const dm_tokenizer *tok, const char *user, const char *system, char *buf,
                    size_t cap, dm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DIMPLE_TOKENIZER_H */
