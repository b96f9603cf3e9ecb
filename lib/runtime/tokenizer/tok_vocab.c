/* The vocabulary view: ids, pieces, bytes, flags, well-known special tokens. */
#include <string.h>

#include "tok_internal.h"

int32_t dm_tokenizer_vocab_size(const dm_tokenizer *tok) { return tok ? tok->n_ids : 0; }

unsigned dm_tokenizer_token_flags(const dm_tokenizer *tok, int32_t id) {
  if (!tok || id < 0 || id >= tok->n_ids) return DM_TOKEN_UNUSED;
  return tok->flags[id];
}

const char *dm_tokenizer_token_bytes(const dm_tokenizer *tok, int32_t id, size_t *len) {
  if (!tok || id < 0 || id >= tok->n_ids) {
    if (len) *len = 0;
    return NULL;
  }
  if (len) *len = tok->bytes_len[id];
  return tk_pool_str(tok, tok->bytes_off[id]);
}

const char *dm_tokenizer_token_piece(const dm_tokenizer *tok, int32_t id) {
  if (!tok || id < 0 || id >= tok->n_ids) return NULL;
  return tk_pool_str(tok, tok->piece_off[id]);
}

int32_t dm_tokenizer_token_id(const dm_tokenizer *tok, const char *piece) {
  if (!tok || !piece) return -1;
  return tk_piece_lookup(tok, piece, strlen(piece));
}

int32_t dm_tokenizer_special_id(const dm_tokenizer *tok, dm_special_token which) {
  if (!tok || (int)which < 0 || (int)which >= 6) return -1;
  return tok->special_ids[which];
}
