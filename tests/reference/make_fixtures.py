#!/usr/bin/python3
"""Writes the golden model fixtures under tests/data/models/<name>/.

Each fixture is a tiny random checkpoint in a family's exact Hugging Face
layout (config.json, generation_config.json, *.safetensors [+ index]) plus
reference.json with logits from the independent float64 PyTorch reference in
dlm_ref.py. Needs Debian's python3-torch (+ python3-numpy); not used by CI.

    /usr/bin/python3 tests/reference/make_fixtures.py [--out tests/data/models]

Deterministic: fixed seeds, no time stamps; re-running rewrites identical
files on the same torch version.
"""

import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlm_ref  # noqa: E402
from dlm_ref import Arch, Model, run_case, write_safetensors  # noqa: E402

GENERATOR = "tests/reference/make_fixtures.py"
BASE_SEED = 20260127

# ------------------------------------------------------------------ configs
# Field sets follow the real checkpoints' config.json (LLaDA-8B-Instruct,
# Dream-v0-Instruct-7B, Dimple-7B = DimpleConfig built from Dream's config);
# only sizes and special ids are shrunk so that every id fits the tiny vocab.


def llada_config(vocab, ids):
    return {
        "activation_type": "silu",
        "alibi": False,
        "alibi_bias_max": 8.0,
        "architectures": ["LLaDAModelLM"],
        "attention_dropout": 0.0,
        "attention_layer_norm": False,
        "attention_layer_norm_with_affine": True,
        "auto_map": {
            "AutoConfig": "configuration_llada.LLaDAConfig",
            "AutoModelForCausalLM": "modeling_llada.LLaDAModelLM",
            "AutoModel": "modeling_llada.LLaDAModelLM",
        },
        "bias_for_layer_norm": False,
        "block_group_size": 1,
        "block_type": "llama",
        "d_model": 64,
        "embedding_dropout": 0.0,
        "embedding_size": vocab,
        "eos_token_id": ids["eos"],
        "flash_attention": False,
        "include_bias": False,
        "include_qkv_bias": False,
        "init_cutoff_factor": None,
        "init_device": "meta",
        "init_fn": "mitchell",
        "init_std": 0.02,
        "input_emb_norm": False,
        "layer_norm_type": "rms",
        "layer_norm_with_affine": True,
        # real LLaDA: 126336, outside any tiny vocab -> moved inside it
        "mask_token_id": ids["mask"],
        "max_sequence_length": 4096,
        # mlp_ratio * d_model = 256 on purpose differs: the runtime must use
        # mlp_hidden_size when it is set (as LLaDA's block does)
        "mlp_hidden_size": 160,
        "mlp_ratio": 4,
        "model_type": "llada",
        "multi_query_attention": None,
        "n_heads": 4,
        "n_kv_heads": 4,
        "n_layers": 2,
        "pad_token_id": ids["pad"],
        "precision": "amp_bf16",
        "residual_dropout": 0.0,
        "rms_norm_eps": 1e-05,
        "rope": True,
        "rope_full_precision": True,
        "rope_theta": 500000.0,
        "scale_logits": False,
        "transformers_version": "4.46.3",
        "use_cache": False,
        "vocab_size": vocab,
        "weight_tying": False,
    }


def llada_generation_config(ids):
    return {"_from_model_config": True, "bos_token_id": ids["bos"], "eos_token_id": ids["eos"],
            "transformers_version": "4.46.3"}


def dream_config(vocab, ids, torch_dtype):
    return {
        "architectures": ["DreamModel"],
        "attention_dropout": 0.0,
        "auto_map": {
            "AutoConfig": "configuration_dream.DreamConfig",
            "AutoModel": "modeling_dream.DreamModel",
        },
        "bos_token_id": ids["bos"],
        "eos_token_id": ids["eos"],
        "hidden_act": "silu",
        "hidden_size": 64,
        "initializer_range": 0.02,
        "intermediate_size": 176,
        "mask_token_id": ids["mask"],
        "max_position_embeddings": 131072,
        "max_window_layers": 28,
        "model_type": "Dream",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "pad_token_id": ids["pad"],
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000.0,
        "sliding_window": None,
        "tie_word_embeddings": False,
        "torch_dtype": torch_dtype,
        "transformers_version": "4.46.2",
        "use_cache": False,
        "use_sliding_window": False,
        "vocab_size": vocab,
    }


def dream_generation_config(ids):
    # As Dream-v0-Instruct-7B: mask_token_id is null here (config.json has it).
    return {"_from_model_config": True, "alg": "origin", "alg_temp": None,
            "bos_token_id": ids["bos"], "eos_token_id": ids["eos"], "eps": 0.001,
            "mask_token_id": None, "output_history": False, "pad_token_id": ids["pad"],
            "steps": 512, "temperature": 0.0, "top_k": None, "top_p": None,
            "transformers_version": "4.46.2"}


VISION = {"depth": 1, "hidden_size": 16, "intermediate_size": 24, "num_heads": 2,
          "in_channels": 3, "patch_size": 4, "spatial_merge_size": 2, "temporal_patch_size": 2,
          "out_hidden_size": 32}


def dimple_config(vocab, ids):
    cfg = dream_config(vocab, ids, "float32")
    cfg.update({
        "architectures": ["DimpleModel"],
        "auto_map": {
            "AutoConfig": "configuration_dimple.DimpleConfig",
            "AutoModel": "modeling_dimple.DimpleModel",
        },
        "model_type": "dimple",
        "intermediate_size": 160,
        # Dimple-7B: [16, 24, 24] for head_dim 128 (sum = head_dim / 2);
        # scaled to head_dim 16 -> sum 8
        "mrope_section": [2, 3, 3],
        "full_attn_mask": True,
        "image_token_id": ids["image"],
        "video_token_id": ids["video"],
        "vision_start_token_id": ids["vision_start"],
        "vision_end_token_id": ids["vision_end"],
        "vision_token_id": ids["vision"],
        "vision_config": dict(VISION, **{
            "model_type": "dimple", "hidden_act": "silu", "tokens_per_second": 2,
            "window_size": 112, "fullatt_block_indexes": [0]}),
    })
    return dict(sorted(cfg.items()))


def dimple_generation_config(ids):
    g = dream_generation_config(ids)
    g["mask_token_id"] = ids["mask"]
    return g


# ------------------------------------------------------------------ weights


def make_weights(arch, gen):
    """Random weights with O(1) activations; norm weights != 1, biases != 0
    so that a runtime dropping either is caught."""
    w = {}
    for name, shp in arch.shapes().items():
        if name in w:
            continue
        if name.endswith("norm.weight") or "layernorm" in name or name.endswith("ln_f.weight"):
            t = 1.0 + 0.2 * torch.randn(shp, generator=gen)
        elif name.endswith(".bias"):
            t = 0.3 * torch.randn(shp, generator=gen)
        elif len(shp) == 2 and (name.endswith("wte.weight") or name.endswith("embed_tokens.weight")):
            # small embeddings: mean(x^2) ~ 1.6e-5 is comparable to rms_norm_eps,
            # so a runtime reading the wrong eps field fails the first norm
            t = 0.004 * torch.randn(shp, generator=gen)
        else:
            fan_in = shp[1]
            scale = 2.0 if any(s in name for s in ("q_proj", "k_proj")) else 1.0
            t = scale * torch.randn(shp, generator=gen) / fan_in ** 0.5
        w[name] = t.to(torch.float32)
    return w


def make_vision_weights(gen, llm_hidden):
    """A few tiny visual.* / img_projector.* tensors in Dimple's names."""
    v = VISION
    vh, vi, oh = v["hidden_size"], v["intermediate_size"], v["out_hidden_size"]
    merged = vh * v["spatial_merge_size"] ** 2
    shp = {
        "visual.patch_embed.proj.weight": (vh, v["in_channels"], v["temporal_patch_size"],
                                           v["patch_size"], v["patch_size"]),
        "visual.blocks.0.norm1.weight": (vh,),
        "visual.blocks.0.norm2.weight": (vh,),
        "visual.blocks.0.attn.qkv.weight": (3 * vh, vh),
        "visual.blocks.0.attn.qkv.bias": (3 * vh,),
        "visual.blocks.0.attn.proj.weight": (vh, vh),
        "visual.blocks.0.attn.proj.bias": (vh,),
        "visual.blocks.0.mlp.gate_proj.weight": (vi, vh),
        "visual.blocks.0.mlp.gate_proj.bias": (vi,),
        "visual.blocks.0.mlp.up_proj.weight": (vi, vh),
        "visual.blocks.0.mlp.up_proj.bias": (vi,),
        "visual.blocks.0.mlp.down_proj.weight": (vh, vi),
        "visual.blocks.0.mlp.down_proj.bias": (vh,),
        "visual.merger.ln_q.weight": (vh,),
        "visual.merger.mlp.0.weight": (merged, merged),
        "visual.merger.mlp.0.bias": (merged,),
        "visual.merger.mlp.2.weight": (oh, merged),
        "visual.merger.mlp.2.bias": (oh,),
        "img_projector.linear_1.weight": (llm_hidden, oh),
        "img_projector.linear_1.bias": (llm_hidden,),
        "img_projector.linear_2.weight": (llm_hidden, llm_hidden),
        "img_projector.linear_2.bias": (llm_hidden,),
    }
    return {k: (0.1 * torch.randn(s, generator=gen)).to(torch.float32) for k, s in shp.items()}


# ------------------------------------------------------------------ cases


def rand_ids(gen, shape, vocab):
    return torch.randint(0, vocab, shape, generator=gen)


def make_cases(arch, ids, gen):
    V = arch.vocab
    mask = ids["mask"]
    cases = []

    # 1. full bidirectional, B = 2
    T = 16
    x = rand_ids(gen, (2, T), V)
    x[1, 9:] = mask  # a canvas of masks in batch 1
    rows = [[0, t] for t in range(T)] + [[1, 0], [1, 8], [1, 9], [1, 15]]
    cases.append({"name": "full_bidirectional", "ids": x.tolist(), "causal": False, "cache": None,
                  "rows": rows})

    # 2. causal, B = 2
    T = 13
    x = rand_ids(gen, (2, T), V)
    rows = [[0, 0], [0, 1], [0, 6], [0, 12], [1, 0], [1, 5], [1, 12]]
    cases.append({"name": "causal", "ids": x.tolist(), "causal": True, "cache": None, "rows": rows})

    # 3. prefill cache (Dimple semantics): prompt P, canvas T - P, C = P
    #    (llada) or P - 1 (shifted families, the decoder keeps the last prompt
    #    token live). cache.ids has an all-mask canvas; ids fills some of it.
    T, P = 20, 12
    C = P if not arch.shifted else P - 1
    prompt = rand_ids(gen, (2, P), V)
    cache_ids = torch.cat([prompt, torch.full((2, T - P), mask, dtype=torch.long)], 1)
    new_ids = cache_ids.clone()
    fill = rand_ids(gen, (2, T - P), V)
    pick = torch.rand((2, T - P), generator=gen) < 0.45
    pick[0, 0] = True
    pick[1, -1] = True
    new_ids[:, P:] = torch.where(pick, fill, new_ids[:, P:])
    assert not torch.equal(new_ids, cache_ids)
    rows = [[0, t] for t in range(C, T)] + [[1, C], [1, P], [1, T - 1]]
    cases.append({"name": "prefill_cache", "ids": new_ids.tolist(), "causal": False,
                  "cache": {"ids": cache_ids.tolist(), "cache_len": C}, "rows": rows})

    # 4. edge ids: 0, vocab - 1, repeats, the mask id, specials
    edge = [0, V - 1, 0, 0, V - 1, mask, mask, ids["eos"], ids["pad"], 1, V - 2, V - 1]
    rows = [[0, t] for t in range(len(edge))]
    cases.append({"name": "edge_ids", "ids": [edge], "causal": False, "cache": None, "rows": rows})

    # 5. a single token (attention over one key)
    cases.append({"name": "single_token", "ids": [[V - 1]], "causal": False, "cache": None,
                  "rows": [[0, 0]]})

    # 6. prefill cache with B = 1, C = 1 (shortest prompt) and one stale row
    T, C2 = 9, 1
    cids = rand_ids(gen, (1, T), V)
    cids[0, 3:] = mask
    nids = cids.clone()
    nids[0, 4] = 7
    nids[0, 8] = V - 1
    cases.append({"name": "prefill_cache_short", "ids": nids.tolist(), "causal": False,
                  "cache": {"ids": cids.tolist(), "cache_len": C2},
                  "rows": [[0, t] for t in range(C2, T)]})
    return cases


def f32(v):
    """float -> shortest decimal that round-trips the float32 value."""
    import numpy as np
    r = float(np.float32(v))
    for digits in range(6, 10):
        s = float("%.*g" % (digits, r))
        if float(np.float32(s)) == r:
            return s
    return r


def fill_logits(model, cases):
    for c in cases:
        rows = run_case(model, c)
        c["logits"] = [[f32(v) for v in r.tolist()] for r in rows]
        c["logit_scale"] = f32(max(float(r.abs().max()) for r in rows))


# ------------------------------------------------------------------ writing


def write_json(path, obj, indent=2):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


def write_reference(path, family, dtype, seed, cases, extra):
    ref = {"family": family, "dtype": dtype, "generator": GENERATOR, "seed": seed,
           "torch_version": torch.__version__,
           "compute": "f64 from %s weights" % ("bf16" if dtype == "BF16" else "f32"),
           "tolerance": {"rule": "max_abs_diff <= rel * logit_scale, logit_scale = max |reference "
                                 "logit| over the case's rows", "rel": 2e-2 if dtype == "BF16" else 1e-4},
           "shifted_logits": family != "llada"}
    ref.update(extra)
    ref["cases"] = cases
    # compact: one logits row per line keeps the file small but diffable
    with open(path, "w") as f:
        f.write("{\n")
        items = list(ref.items())
        for i, (k, v) in enumerate(items):
            sep = "," if i + 1 < len(items) else ""
            if k != "cases":
                f.write("  %s: %s%s\n" % (json.dumps(k), json.dumps(v), sep))
                continue
            f.write('  "cases": [\n')
            for j, c in enumerate(v):
                f.write("    {\n")
                citems = list(c.items())
                for m, (ck, cv) in enumerate(citems):
                    csep = "," if m + 1 < len(citems) else ""
                    if ck == "logits":
                        f.write('      "logits": [\n')
                        for n, row in enumerate(cv):
                            rsep = "," if n + 1 < len(cv) else ""
                            f.write("        %s%s\n" % (json.dumps(row, separators=(",", ":")), rsep))
                        f.write("      ]%s\n" % csep)
                    else:
                        f.write("      %s: %s%s\n" % (json.dumps(ck), json.dumps(cv, separators=(",", ":")), csep))
                f.write("    }%s\n" % ("," if j + 1 < len(v) else ""))
            f.write("  ]%s\n" % sep)
        f.write("}\n")
    # must parse back as plain JSON
    with open(path) as f:
        json.load(f)


def tensor_order(names):
    """HF save order is alphabetical by name within a file."""
    return sorted(names)


def build(out_root, name, seed, family, dtype, vocab, ids, sharded=False):
    gen = torch.Generator().manual_seed(seed)
    if family == "llada":
        cfg = llada_config(vocab, ids)
        gcfg = llada_generation_config(ids)
    elif family == "Dream":
        cfg = dream_config(vocab, ids, "bfloat16" if dtype == "BF16" else "float32")
        gcfg = dream_generation_config(ids)
    else:
        cfg = dimple_config(vocab, ids)
        gcfg = dimple_generation_config(ids)
    arch = Arch(cfg)
    w = make_weights(arch, gen)
    if dtype == "BF16":
        w = {k: v.to(torch.bfloat16) for k, v in w.items()}
    extra_w = make_vision_weights(gen, arch.hidden) if family == "dimple" else {}

    d = os.path.join(out_root, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    write_json(os.path.join(d, "config.json"), cfg)
    write_json(os.path.join(d, "generation_config.json"), gcfg)

    allw = dict(w)
    allw.update(extra_w)
    names = tensor_order(allw)
    if sharded:
        # split like HF: fill shard 1 up to about half the bytes, rest in 2
        files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
        sizes = {n: allw[n].numel() * (2 if dtype == "BF16" else 4) for n in names}
        half = sum(sizes.values()) / 2
        acc, part = 0, {files[0]: [], files[1]: []}
        for n in names:
            target = files[0] if acc < half else files[1]
            part[target].append(n)
            acc += sizes[n]
        total = 0
        wmap = {}
        for fn in files:
            total += write_safetensors(os.path.join(d, fn), [(n, allw[n], dtype) for n in part[fn]])
            for n in part[fn]:
                wmap[n] = fn
        write_json(os.path.join(d, "model.safetensors.index.json"),
                   {"metadata": {"total_size": total}, "weight_map": dict(sorted(wmap.items()))})
    else:
        write_safetensors(os.path.join(d, "model.safetensors"), [(n, allw[n], dtype) for n in names])

    model = Model(arch, {k: v.to(torch.float64) for k, v in w.items()})
    cases = make_cases(arch, ids, gen)
    fill_logits(model, cases)

    extra = {"special_ids": {k: v for k, v in ids.items()}}
    if family == "llada":
        extra["note"] = ("mask_token_id is %d (inside the tiny vocab); the real LLaDA-8B uses 126336"
                         % ids["mask"])
    if family == "dimple":
        extra.update(dimple_mrope_proof(model, cases))
        extra["note"] = ("visual.* and img_projector.* tensors are present but unused by the "
                         "text-only forward; the loader must skip them or load them lazily")
    write_reference(os.path.join(d, "reference.json"), family, dtype, seed, cases, extra)
    return d


def dimple_mrope_proof(model, cases):
    """For text-only input, Dimple's 3-D mrope (t = h = w = index) must equal
    ordinary 1-D RoPE. Asserted bit-exactly on every case; and a non-text 3-D
    grid must differ (so the mrope code path is not vacuous)."""
    worst = 0.0
    for c in cases:
        ids = torch.tensor(c["ids"], dtype=torch.long)
        if c["cache"]:
            cids = torch.tensor(c["cache"]["ids"], dtype=torch.long)
            C = c["cache"]["cache_len"]
            _, kv_m = model.forward(cids, rope_mode="mrope")
            _, kv_1 = model.forward(cids, rope_mode="1d")
            a, _ = model.forward(ids, cache=(kv_m, C), rope_mode="mrope")
            b, _ = model.forward(ids, cache=(kv_1, C), rope_mode="1d")
        else:
            a, _ = model.forward(ids, causal=c["causal"], rope_mode="mrope")
            b, _ = model.forward(ids, causal=c["causal"], rope_mode="1d")
        diff = float((a - b).abs().max())
        assert torch.equal(a, b), "mrope != 1-D rope on text-only case %s (%g)" % (c["name"], diff)
        worst = max(worst, diff)
    # a vision-like grid (t, h, w differ) must change the result
    ids = torch.tensor(cases[0]["ids"], dtype=torch.long)
    B, T = ids.shape
    pos = torch.arange(T).expand(B, T)
    pos3 = torch.stack([pos, pos // 2, pos % 4 + pos // 4])
    a, _ = model.forward(ids, rope_mode="mrope", pos=pos3)
    b, _ = model.forward(ids, rope_mode="1d")
    grid_diff = float((a - b).abs().max())
    assert grid_diff > 1e-3, "mrope with a 3-D grid did not change the logits"
    return {"mrope_section": model.a.mrope_section,
            "mrope_equals_rope": True,
            "mrope_text_only_max_abs_diff": worst,
            "mrope_3d_grid_max_abs_diff": f32(grid_diff),
            "mrope_proof": "text-only position ids (3, B, T) with t = h = w = index give "
                           "bit-identical logits to 1-D RoPE on every case (asserted by the "
                           "generator); a vision-like 3-D grid changes them by "
                           "mrope_3d_grid_max_abs_diff"}


FIXTURES = [
    # name, family, dtype, vocab, sharded, special ids
    ("llada-tiny-f32", "llada", "F32", 288, False,
     {"bos": 280, "eos": 281, "pad": 281, "mask": 284}),
    ("llada-tiny-bf16", "llada", "BF16", 288, False,
     {"bos": 280, "eos": 281, "pad": 281, "mask": 284}),
    ("dream-tiny-f32", "Dream", "F32", 320, False,
     {"bos": 300, "eos": 300, "pad": 300, "mask": 310}),
    ("dream-tiny-bf16-sharded", "Dream", "BF16", 320, True,
     {"bos": 300, "eos": 300, "pad": 300, "mask": 310}),
    ("dimple-tiny-f32", "dimple", "F32", 352, False,
     {"bos": 330, "eos": 330, "pad": 330, "mask": 340, "vision_start": 332, "vision_end": 333,
      "vision": 334, "image": 335, "video": 336}),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models"))
    ap.add_argument("--only", help="comma-separated fixture names")
    args = ap.parse_args()
    torch.set_num_threads(1)  # bit-reproducible reductions
    only = set(args.only.split(",")) if args.only else None
    for i, (name, family, dtype, vocab, sharded, ids) in enumerate(FIXTURES):
        if only and name not in only:
            continue
        d = build(os.path.normpath(args.out), name, BASE_SEED + i, family, dtype, vocab, ids, sharded)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        print("%-26s %8d bytes  %s" % (name, size, d))


if __name__ == "__main__":
    main()
