/* tokenizer_config.json: the well-known special tokens (bos, eos, pad, unk, mask,
 * end of turn) and the chat template family. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* "bos_token": "<s>" or {"content": "<s>", ...} */
static int32_t config_token(const dm_tokenizer *t, const cJSON *cfg, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
  if (cJSON_IsObject(v)) v = cJSON_GetObjectItemCaseSensitive(v, "content");
  if (!cJSON_IsString(v)) return -1;
  return tk_piece_lookup(t, v->valuestring, strlen(v->valuestring));
}

int tk_apply_config(dm_tokenizer *t, const cJSON *cfg, dm_error *err) {
  for (int i = 0; i < 6; i++) t->special_ids[i] = -1;
  t->special_ids[DM_SPECIAL_UNK] = t->unk_id;
  if (cfg && !cJSON_IsObject(cfg)) return dm_error_set_named(err, DM_EFORMAT, "/", "expected an object");
  if (cfg) {
    t->special_ids[DM_SPECIAL_BOS] = config_token(t, cfg, "bos_token");
    t->special_ids[DM_SPECIAL_EOS] = config_token(t, cfg, "eos_token");
    t->special_ids[DM_SPECIAL_PAD] = config_token(t, cfg, "pad_token");
    int32_t u = config_token(t, cfg, "unk_token");
    if (u >= 0) t->special_ids[DM_SPECIAL_UNK] = u;
    t->special_ids[DM_SPECIAL_MASK] = config_token(t, cfg, "mask_token");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(cfg, "chat_template");
    if (cJSON_IsArray(ct)) { /* [{name, template}]: use "default" */
      const cJSON *pick = NULL;
      for (const cJSON *e = ct->child; e; e = e->next) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, "default") == 0) pick = e;
      }
      ct = pick ? cJSON_GetObjectItemCaseSensitive(pick, "template") : NULL;
    }
    if (cJSON_IsString(ct)) tk_chat_detect(t, ct->valuestring);
    const cJSON *bos = cJSON_GetObjectItemCaseSensitive(cfg, "bos_token");
    if (cJSON_IsObject(bos)) bos = cJSON_GetObjectItemCaseSensitive(bos, "content");
    if (cJSON_IsString(bos) && !(t->bos_text = strdup(bos->valuestring))) return DM_ENOMEM;
  }
  if (t->special_ids[DM_SPECIAL_MASK] < 0) {
    const char *cands[] = {"<|mdm_mask|>", "<|mask|>", "[MASK]", "<mask>"};
    for (int i = 0; i < 4 && t->special_ids[DM_SPECIAL_MASK] < 0; i++)
      t->special_ids[DM_SPECIAL_MASK] = tk_piece_lookup(t, cands[i], strlen(cands[i]));
  }
  const char *eot = t->chat == DM_CHAT_CHATML ? "<|im_end|>" : t->chat == DM_CHAT_LLAMA3 ? "<|eot_id|>" : NULL;
  if (eot) t->special_ids[DM_SPECIAL_EOT] = tk_piece_lookup(t, eot, strlen(eot));
  return 0;
}
