#!/usr/bin/env python3
"""Write a model directory in the "slow" Hugging Face layout (vocab.json, merges.txt,
tokenizer_config.json with added_tokens_decoder) from a tokenizer.json, as Dream-7B
ships its Qwen2.5 tokenizer. Used by the tests to check that loading the slow layout
gives the same tokenizer as loading tokenizer.json.

Usage: to-slow.py TOKENIZER_DIR OUTDIR [TOKENIZER_CLASS]   (default class: DreamTokenizer)
"""
import json
import os
import sys

src, out = sys.argv[1], sys.argv[2]
cls = sys.argv[3] if len(sys.argv) > 3 else "DreamTokenizer"
os.makedirs(out, exist_ok=True)
with open(os.path.join(src, "tokenizer.json"), encoding="utf-8") as f:
    tok = json.load(f)
cfg = {}
if os.path.exists(os.path.join(src, "tokenizer_config.json")):
    with open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
    json.dump(tok["model"]["vocab"], f, ensure_ascii=False)
with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
    f.write("#version: 0.2\n")
    for m in tok["model"]["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ", 1)
        f.write(a + " " + b + "\n")
cfg["tokenizer_class"] = cls
cfg["added_tokens_decoder"] = {
    str(a["id"]): {k: a.get(k, False) for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
    for a in tok.get("added_tokens", [])
}
with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
    json.dump(cfg, f, ensure_ascii=False, indent=1)
