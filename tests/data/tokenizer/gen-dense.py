#!/usr/bin/env python3
"""Write tiny-dense/: the tiny tokenizer (tiny/) with its added tokens renumbered
265-268 (no holes: 269 ids), so that it fits the tiny model fixtures of
tests/data/models (vocab 288, mask id 284 outside the tokenizer). Used by the decoder
and `dimple generate` tests.

Usage: gen-dense.py TINY_DIR OUTDIR
"""
import json
import os
import sys

src, out = sys.argv[1], sys.argv[2]
tok = json.load(open(os.path.join(src, "tokenizer.json")))
for i, t in enumerate(tok["added_tokens"]):
    t["id"] = 265 + i
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "tokenizer.json"), "w") as f:
    json.dump(tok, f, ensure_ascii=False, indent=1)
with open(os.path.join(src, "tokenizer_config.json")) as f:
    cfg = f.read()
with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
    f.write(cfg)
