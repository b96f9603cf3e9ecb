/* train/bpe.h — a byte-level BPE trainer (part of libdimple-train, not installed).
 *
 * Counts the words of a corpus as our tokenizer pre-tokenizes them (the Qwen2 split
 * regex, then ByteLevel: dm_tokenizer_pre_tokenize on a tokenizer with no merges),
 * then learns merges greedily: each step merges the most frequent adjacent pair of
 * tokens over all words (weighted by word count); ties go to the pair with the
 * smaller first id, then the smaller second id. Pair counts are kept up to date
 * incrementally (only the words holding the merged pair are revisited) with a
 * lazy max-heap, so a merge costs the size of the words it touches.
 *
 * Vocabulary: ids 0-255 are the 256 bytes (id = byte value), then one token per
 * merge in merge order, then the special tokens (<|endoftext|>, <|im_start|>,
 * <|im_end|>, <|mask|>, then the extra ones asked for). Every byte string is
 * representable. The output is a tokenizer.json (model BPE, GPT-2 byte-map pieces,
 * merges as pairs, no normalizer, pre-tokenizer Split + ByteLevel as Qwen2/Qwen3,
 * ByteLevel decoder and post-processor) and a tokenizer_config.json (ChatML chat
 * template with a default system prompt as Dream's, eos/pad <|endoftext|>, mask
 * <|mask|>). Same corpus and parameters: byte-identical files.
 */
#ifndef DM_TRAIN_BPE_H
#define DM_TRAIN_BPE_H

#include <stddef.h>
#include <stdint.h>

#include <dimple/status.h>

typedef struct dm_bpe_params {
  int32_t vocab_size;        /* total ids: 256 bytes + merges + specials (default 4096) */
  const char *const *specials; /* extra special tokens (after the four defaults; a
                                  repeat of one already there is ignored); borrowed */
  size_t n_specials;
  int64_t min_count;         /* stop when the best pair occurs fewer times (default 2) */
  int split;                 /* pre-tokenizer: DM_BPE_SPLIT_QWEN (default) or
                                DM_BPE_SPLIT_ISOLATED */
} dm_bpe_params;

/* How text is cut into words before BPE (the Split pre-tokenizer's regex).
 * QWEN: Qwen2's regex, a letter run keeps one leading non-letter (" Kemgu" and
 *   "\"Kemgu" are different words). ISOLATED: letter runs, single digits,
 *   punctuation runs and whitespace runs each stand alone, so a word is the same
 *   tokens wherever it stands (after a space, a quote, a line start): copying a
 *   name from a paragraph into a JSON string repeats token ids, which a small model
 *   learns far sooner than a mapping between spellings. */
enum { DM_BPE_SPLIT_QWEN = 0, DM_BPE_SPLIT_ISOLATED = 1 };

void dm_bpe_default_params(dm_bpe_params *p);

typedef struct dm_bpe dm_bpe;

/* A new trainer. DM_ERANGE (err names "vocab_size") when vocab_size is below 256 +
 * the number of special tokens or above 1<<24; DM_EINVAL for an empty special
 * token. *out owns the trainer (free with dm_bpe_free); the params' strings are
 * copied. */
int dm_bpe_create(const dm_bpe_params *p, dm_bpe **out, dm_error *err);
/* NULL is a no-op. */
void dm_bpe_free(dm_bpe *b);

/* Count the words of `len` bytes of text (any bytes; invalid UTF-8 is read as U+FFFD,
 * as encoding does; special-token text is left out). Call before dm_bpe_train. */
int dm_bpe_add_text(dm_bpe *b, const char *text, size_t len, dm_error *err);
/* The same for a whole file; errors name the file (DM_ENOENT, DM_EIO). */
int dm_bpe_add_file(dm_bpe *b, const char *path, dm_error *err);

/* Learn the merges. Stops at the vocabulary size, or earlier (with fewer ids) when
 * no pair occurs min_count times: see dm_bpe_stats. Once per trainer. */
int dm_bpe_train(dm_bpe *b, dm_error *err);

typedef struct dm_bpe_stats {
  uint64_t bytes, words, unique_words;
  int32_t merges;        /* merges learned (a merge whose string was already a token
                            adds no id) */
  int32_t vocab_size;    /* ids in the result, specials included */
} dm_bpe_stats;
void dm_bpe_stats_get(const dm_bpe *b, dm_bpe_stats *s);

/* tokenizer.json and tokenizer_config.json texts of the current state (before
 * dm_bpe_train: the 256 bytes and the specials, no merges). *tok_json and
 * *config_json (either may be NULL to skip) are new NUL-terminated strings the
 * caller frees with free(). */
int dm_bpe_to_json(const dm_bpe *b, char **tok_json, char **config_json, dm_error *err);

/* Write DIR/tokenizer.json and DIR/tokenizer_config.json (DIR is created when
 * missing, its parent must exist). DM_EIO naming the file when it cannot be written. */
int dm_bpe_write(const dm_bpe *b, const char *dir, dm_error *err);

#endif
