#!/usr/bin/env python3
"""Write a random Dream-layout checkpoint (config.json, generation_config.json,
model.safetensors, and a copy of a tokenizer) for timing `dimple eval` and
`dimple generate` at a chosen size before a trained model exists.

    python3 bench/random_dream.py --tokenizer DIR --out DIR [--hidden 256]
        [--layers 6] [--heads 4] [--kv-heads 2] [--ff 704] [--seed 1]

The tokenizer DIR (tokenizer.json + tokenizer_config.json, as `dimple
train-tokenizer` writes) sets the vocabulary and the special ids. Weights are
N(0, 1/fan_in) (norms 1, biases 0): outputs are noise, timings are real.
Python 3 standard library only.
"""
import argparse
import array
import json
import os
import random
import shutil
import struct
import sys


def special_ids(tok):
    ids = {}
    for t in tok.get("added_tokens", []):
        ids[t["content"]] = t["id"]
    vocab = max([t["id"] for t in tok.get("added_tokens", [])] + list(tok["model"]["vocab"].values())) + 1
    return ids, vocab


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ff", type=int, default=704)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    with open(os.path.join(a.tokenizer, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    sp, vocab = special_ids(tok)
    eos, mask = sp.get("<|endoftext|>"), sp.get("<|mask|>")
    if eos is None or mask is None:
        sys.exit("random_dream.py: the tokenizer needs <|endoftext|> and <|mask|>")
    d, hd = a.hidden, a.hidden // a.heads
    kv = a.kv_heads * hd
    shapes = [("model.embed_tokens.weight", (vocab, d))]
    for i in range(a.layers):
        b = "model.layers.%d." % i
        shapes += [(b + "input_layernorm.weight", (d,)), (b + "post_attention_layernorm.weight", (d,)),
                   (b + "self_attn.q_proj.weight", (d, d)), (b + "self_attn.q_proj.bias", (d,)),
                   (b + "self_attn.k_proj.weight", (kv, d)), (b + "self_attn.k_proj.bias", (kv,)),
                   (b + "self_attn.v_proj.weight", (kv, d)), (b + "self_attn.v_proj.bias", (kv,)),
                   (b + "self_attn.o_proj.weight", (d, d)),
                   (b + "mlp.gate_proj.weight", (a.ff, d)), (b + "mlp.up_proj.weight", (a.ff, d)),
                   (b + "mlp.down_proj.weight", (d, a.ff))]
    shapes += [("model.norm.weight", (d,)), ("lm_head.weight", (vocab, d))]
    rng = random.Random(a.seed)
    header, blobs, off, nparams = {"__metadata__": {"format": "pt"}}, [], 0, 0
    for name, shp in shapes:
        n = 1
        for s in shp:
            n *= s
        nparams += n
        if name.endswith("norm.weight"):
            v = array.array("f", [1.0]) * n
        elif name.endswith(".bias"):
            v = array.array("f", [0.0]) * n
        else:
            sd = shp[-1] ** -0.5
            v = array.array("f", (rng.gauss(0.0, sd) for _ in range(n)))
        if sys.byteorder != "little":
            v.byteswap()
        b = v.tobytes()
        header[name] = {"dtype": "F32", "shape": list(shp), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    os.makedirs(a.out, exist_ok=True)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(a.out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    cfg = {"architectures": ["DreamModel"], "attention_dropout": 0.0, "bos_token_id": eos, "eos_token_id": eos,
           "hidden_act": "silu", "hidden_size": d, "initializer_range": 0.02, "intermediate_size": a.ff,
           "mask_token_id": mask, "max_position_embeddings": 4096, "model_type": "Dream",
           "num_attention_heads": a.heads, "num_hidden_layers": a.layers, "num_key_value_heads": a.kv_heads,
           "pad_token_id": eos, "rms_norm_eps": 1e-6, "rope_scaling": None, "rope_theta": 10000.0,
           "sliding_window": None, "tie_word_embeddings": False, "torch_dtype": "float32", "use_cache": False,
           "use_sliding_window": False, "vocab_size": vocab}
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(a.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": eos, "eos_token_id": eos, "pad_token_id": eos, "mask_token_id": mask}, f, indent=2)
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        if os.path.exists(os.path.join(a.tokenizer, fn)):
            shutil.copy(os.path.join(a.tokenizer, fn), os.path.join(a.out, fn))
    print("%s: %d parameters, vocab %d" % (a.out, nparams, vocab))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
