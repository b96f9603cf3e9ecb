/* BPE model: one pre-tokenized word -> ids.
 *
 * Symbols start as the word's characters (byte-level models: its bytes, each with
 * the id of its one-character token); then, repeatedly, the adjacent pair with the
 * lowest merge rank is merged, leftmost first on ties. The fast version keeps the
 * symbols in a linked list and the candidate pairs in a binary heap keyed by (rank,
 * position), re-checking a popped pair against the current symbols (lazy deletion):
 * O(n log n). tk_bpe_word_ref is its plain quadratic twin; tests compare the two. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

#define STACK_SYMS 128

/* Initial symbols of a word. Returns the count or a negative DM_E*. `ids` has room
 * for n * 4 entries (byte fallback: up to 4 byte tokens per character). */
static long init_symbols(const dm_tokenizer *t, const char *w, size_t n, int32_t *ids) {
  long k = 0;
  if (t->byte_level) {
    for (size_t i = 0; i < n; i++) {
      int32_t id = t->byte_id[(unsigned char)w[i]];
      if (id >= 0) ids[k++] = id;
      else if (t->unk_id >= 0 && !(t->fuse_unk && k && ids[k - 1] == t->unk_id)) ids[k++] = t->unk_id;
    }
    return k;
  }
  for (size_t i = 0; i < n;) {
    size_t l = tk_utf8_len((unsigned char)w[i]);
    if (l > n - i) l = n - i;
    int32_t id = tk_model_lookup(t, w + i, l);
    if (id >= 0) {
      ids[k++] = id;
    } else {
      int all = t->byte_fallback;
      for (size_t b = 0; all && b < l; b++)
        if (t->fallback_id[(unsigned char)w[i + b]] < 0) all = 0;
      if (all) {
        for (size_t b = 0; b < l; b++) ids[k++] = t->fallback_id[(unsigned char)w[i + b]];
      } else if (t->unk_id >= 0 && !(t->fuse_unk && k && ids[k - 1] == t->unk_id)) {
        ids[k++] = t->unk_id;
      }
      /* no unk token and no byte fallback: the character is dropped */
    }
    i += l;
  }
  return k;
}

typedef struct cand {
  int32_t rank, pos, merged;
} cand;

static inline int cand_less(const cand *a, const cand *b) {
  return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void heap_push(cand *h, size_t *n, cand c) {
  size_t i = (*n)++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!cand_less(&c, &h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = c;
}

static cand heap_pop(cand *h, size_t *n) {
  cand top = h[0], last = h[--(*n)];
  size_t i = 0, m = *n;
  for (;;) {
    size_t l = 2 * i + 1;
    if (l >= m) break;
    size_t c = l + 1 < m && cand_less(&h[l + 1], &h[l]) ? l + 1 : l;
    if (!cand_less(&h[c], &last)) break;
    h[i] = h[c];
    i = c;
  }
  if (m) h[i] = last;
  return top;
}

static int merge_heap(const dm_tokenizer *t, int32_t *id, long k, tk_ids *out) {
  int32_t snext[STACK_SYMS], sprev[STACK_SYMS];
  cand sheap[STACK_SYMS * 2 + 4];
  int32_t *next = snext, *prev = sprev;
  cand *heap = sheap;
  void *mem = NULL;
  size_t hcap = (size_t)k * 2 + 4;
  if (k > STACK_SYMS) {
    mem = malloc((size_t)k * 2 * sizeof(int32_t) + hcap * sizeof(cand));
    if (!mem) return DM_ENOMEM;
    next = mem;
    prev = next + k;
    heap = (cand *)(prev + k);
  }
  size_t hn = 0;
  for (long i = 0; i < k; i++) {
    next[i] = i + 1 < k ? (int32_t)(i + 1) : -1;
    prev[i] = (int32_t)i - 1;
  }
  int32_t r, m;
  for (long i = 0; i + 1 < k; i++)
    if (tk_pairmap_get(&t->merges, id[i], id[i + 1], &r, &m))
      heap_push(heap, &hn, (cand){r, (int32_t)i, m});
  while (hn) {
    cand c = heap_pop(heap, &hn);
    int32_t p = c.pos;
    if (id[p] < 0) continue; /* merged away into its left neighbour */
    int32_t q = next[p];
    if (q < 0) continue;
    if (!tk_pairmap_get(&t->merges, id[p], id[q], &r, &m) || r != c.rank || m != c.merged) continue;
    id[p] = m;
    id[q] = -1;
    next[p] = next[q];
    if (next[q] >= 0) prev[next[q]] = p;
    /* each merge adds at most two candidates: the heap never outgrows 2k + 4 */
    if (prev[p] >= 0 && tk_pairmap_get(&t->merges, id[prev[p]], id[p], &r, &m))
      heap_push(heap, &hn, (cand){r, prev[p], m});
    if (next[p] >= 0 && tk_pairmap_get(&t->merges, id[p], id[next[p]], &r, &m))
      heap_push(heap, &hn, (cand){r, p, m});
  }
  int rc = 0;
  for (long i = 0; i >= 0 && i < k && !rc; i = next[i])
    rc = tk_ids_push(out, id[i]);
  free(mem);
  return rc;
}

static int word_common(const dm_tokenizer *t, const char *w, size_t n, tk_ids *out, int ref) {
  if (n == 0) return 0;
  if (t->ignore_merges) {
    int32_t id = tk_model_lookup(t, w, n);
    if (id >= 0) return tk_ids_push(out, id);
  }
  int32_t sbuf[STACK_SYMS * 4];
  int32_t *ids = sbuf;
  if (n > STACK_SYMS) {
    ids = malloc(n * 4 * sizeof *ids);
    if (!ids) return DM_ENOMEM;
  }
  long k = init_symbols(t, w, n, ids);
  int rc = 0;
  if (k == 1) {
    rc = tk_ids_push(out, ids[0]);
  } else if (k > 1 && !ref) {
    rc = merge_heap(t, ids, k, out);
  } else if (k > 1) {
    /* reference: scan for the lowest-ranked pair, merge it, repeat */
    for (;;) {
      long best = -1;
      int32_t br = 0, bm = 0, r, m;
      for (long i = 0; i + 1 < k; i++)
        if (tk_pairmap_get(&t->merges, ids[i], ids[i + 1], &r, &m) && (best < 0 || r < br)) {
          best = i;
          br = r;
          bm = m;
        }
      if (best < 0) break;
      ids[best] = bm;
      memmove(ids + best + 1, ids + best + 2, (size_t)(k - best - 2) * sizeof *ids);
      k--;
    }
    for (long i = 0; i < k && !rc; i++) rc = tk_ids_push(out, ids[i]);
  }
  if (ids != sbuf) free(ids);
  return rc;
}

int tk_bpe_word(const dm_tokenizer *t, const char *w, size_t n, tk_ids *out) {
  tk_cache *c = t->cache;
  if (!c || n == 0 || n > TK_CACHE_WORD) return word_common(t, w, n, out, 0);
  uint64_t h = tk_hash(w, n);
  tk_cache_slot *s = &c->slot[h & (TK_CACHE_SLOTS - 1)];
  int32_t ids[TK_CACHE_IDS];
  int hit = 0, k = 0;
  pthread_mutex_lock(&c->lock);
  if (s->h == h && s->wlen == n && memcmp(s->w, w, n) == 0) {
    hit = 1;
    k = s->nids;
    memcpy(ids, s->ids, (size_t)k * sizeof *ids);
  }
  pthread_mutex_unlock(&c->lock);
  if (hit) {
    for (int i = 0; i < k; i++)
      if (tk_ids_push(out, ids[i])) return DM_ENOMEM;
    return 0;
  }
  size_t before = out->n;
  int rc = word_common(t, w, n, out, 0);
  size_t made = out->n - before;
  if (rc || made > TK_CACHE_IDS) return rc;
  pthread_mutex_lock(&c->lock);
  s->h = h;
  s->wlen = (uint16_t)n;
  s->nids = (uint16_t)made;
  memcpy(s->w, w, n);
  if (made) memcpy(s->ids, out->v + before, made * sizeof *ids);
  pthread_mutex_unlock(&c->lock);
  return 0;
}

int tk_bpe_word_ref(const dm_tokenizer *t, const char *w, size_t n, tk_ids *out) {
  return word_common(t, w, n, out, 1);
}
