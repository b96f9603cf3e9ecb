"""Independent PyTorch reference for the diffusion LMs the Dimple runtime loads.

Written from the published modeling code's *math* (read, not copied):
  * LLaDA  - model_type "llada", OLMo-style names under model.transformer.*
  * Dream  - model_type "Dream", Qwen2 names, q/k/v bias, GQA
  * Dimple - model_type "dimple", the Dream LLM plus visual.* / img_projector.*,
             multimodal RoPE (mrope_section) that reduces to 1-D RoPE on text

Everything here is computed in float64 from the stored weights (f32 or bf16
values upcast exactly), so the reference is the "true" value of the network
for those weights; a runtime computing in f32 is compared against it with the
tolerance rule in tests/reference/README.md.

Also holds a minimal safetensors writer/reader (8-byte little-endian header
length, JSON header, raw little-endian tensor bytes); no `safetensors` package.
"""

import json
import math
import os
import struct

import numpy as np
import torch

DT = torch.float64

# ---------------------------------------------------------------- safetensors


def _bf16_bits(t):
    """torch tensor -> numpy uint16 array of its bf16 bit patterns (RNE)."""
    return t.to(torch.bfloat16).contiguous().view(torch.int16).numpy().view("<u2")


def tensor_bytes(t, dtype):
    """Raw little-endian bytes of tensor t stored as dtype ("F32" or "BF16")."""
    if dtype == "F32":
        return t.to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
    if dtype == "BF16":
        return _bf16_bits(t).tobytes()
    raise ValueError("unsupported dtype " + dtype)


def write_safetensors(path, tensors):
    """tensors: list of (name, torch tensor, dtype str). Written in the given order."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    off = 0
    for name, t, dtype in tensors:
        b = tensor_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)  # pad like the reference implementation
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return off


def read_safetensors(path):
    """path -> dict name -> (torch float64 tensor, dtype str). Checks offsets."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(path + ": truncated")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(path + ": header length beyond file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    body = data[8 + n :]
    out = {}
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        shape = info["shape"]
        count = int(np.prod(shape)) if shape else 1
        dtype = info["dtype"]
        width = {"F32": 4, "BF16": 2}[dtype]
        if not (0 <= b <= e <= len(body)) or e - b != count * width:
            raise ValueError("%s: bad offsets for %s" % (path, name))
        spans.append((b, e, name))
        raw = body[b:e]
        if dtype == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        else:
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32).astype(np.float64)
        out[name] = (torch.from_numpy(arr.reshape(shape)).to(DT), dtype)
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise ValueError("%s: %s overlaps %s" % (path, n0, n1))
    return out


def read_checkpoint(model_dir):
    """Loads every tensor of a HF directory (single file or sharded via index)."""
    idx = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as f:
            index = json.load(f)
        files = sorted(set(index["weight_map"].values()))
        out = {}
        for fn in files:
            part = read_safetensors(os.path.join(model_dir, fn))
            for name in part:
                if index["weight_map"].get(name) != fn:
                    raise ValueError("%s: %s not mapped to this shard" % (fn, name))
            out.update(part)
        missing = set(index["weight_map"]) - set(out)
        if missing:
            raise ValueError("index names tensors not in shards: %s" % sorted(missing))
        total = sum(t.numel() * {"F32": 4, "BF16": 2}[d] for t, d in out.values())
        if index["metadata"]["total_size"] != total:
            raise ValueError("index total_size %d != %d" % (index["metadata"]["total_size"], total))
        return out
    return read_safetensors(os.path.join(model_dir, "model.safetensors"))


# ---------------------------------------------------------------- architecture


class Arch:
    """Normalised view of a family's config.json (only fields the math needs)."""

    def __init__(self, cfg):
        mt = cfg["model_type"]
        self.model_type = mt
        self.mrope_section = None
        if mt == "llada":
            # LLaDA (OLMo lineage) field names. Refuse options this reference
            # does not implement instead of silently ignoring them.
            for key, want in (("block_type", "llama"), ("activation_type", "silu"),
                              ("layer_norm_type", "rms"), ("rope", True), ("alibi", False),
                              ("scale_logits", False), ("input_emb_norm", False),
                              ("attention_layer_norm", False), ("include_bias", False)):
                if cfg.get(key) != want:
                    raise NotImplementedError("llada %s=%r" % (key, cfg.get(key)))
            self.family = "llada"
            self.hidden = cfg["d_model"]
            self.n_layers = cfg["n_layers"]
            self.n_heads = cfg["n_heads"]
            if cfg.get("multi_query_attention"):
                self.n_kv = 1
            else:
                self.n_kv = cfg.get("n_kv_heads") or cfg["n_heads"]
            self.inter = cfg.get("mlp_hidden_size") or cfg["mlp_ratio"] * cfg["d_model"]
            self.vocab = cfg.get("embedding_size") or cfg["vocab_size"]
            self.eps = cfg["rms_norm_eps"]
            self.theta = cfg["rope_theta"]
            self.qkv_bias = bool(cfg.get("include_qkv_bias"))
            self.tie = bool(cfg["weight_tying"])
            self.shifted = False
        elif mt in ("Dream", "dimple"):
            if cfg.get("rope_scaling") is not None:
                raise NotImplementedError("rope_scaling")
            if cfg.get("hidden_act", "silu") != "silu":
                raise NotImplementedError("hidden_act")
            self.family = mt
            self.hidden = cfg["hidden_size"]
            self.n_layers = cfg["num_hidden_layers"]
            self.n_heads = cfg["num_attention_heads"]
            self.n_kv = cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
            self.inter = cfg["intermediate_size"]
            self.vocab = cfg["vocab_size"]
            self.eps = cfg["rms_norm_eps"]
            self.theta = cfg["rope_theta"]
            self.qkv_bias = True  # Qwen2: bias on q/k/v only, never on o_proj / MLP
            self.tie = bool(cfg.get("tie_word_embeddings", False))
            self.shifted = True
            if mt == "dimple":
                self.mrope_section = list(cfg["mrope_section"])
        else:
            raise NotImplementedError("model_type " + mt)
        assert self.hidden % self.n_heads == 0 and self.n_heads % self.n_kv == 0
        self.head_dim = self.hidden // self.n_heads  # both families: hidden / heads

    # tensor names ----------------------------------------------------------
    def names(self):
        """dict role -> name (global) and list of per-layer dicts."""
        if self.family == "llada":
            p = "model.transformer."
            g = {"embed": p + "wte.weight", "norm": p + "ln_f.weight",
                 "head": p + ("wte.weight" if self.tie else "ff_out.weight")}
            layers = []
            for i in range(self.n_layers):
                b = p + "blocks.%d." % i
                d = {"attn_norm": b + "attn_norm.weight", "q": b + "q_proj.weight",
                     "k": b + "k_proj.weight", "v": b + "v_proj.weight", "o": b + "attn_out.weight",
                     "ffn_norm": b + "ff_norm.weight", "gate": b + "ff_proj.weight",
                     "up": b + "up_proj.weight", "down": b + "ff_out.weight"}
                if self.qkv_bias:
                    d.update({"q_bias": b + "q_proj.bias", "k_bias": b + "k_proj.bias",
                              "v_bias": b + "v_proj.bias"})
                layers.append(d)
            return g, layers
        g = {"embed": "model.embed_tokens.weight", "norm": "model.norm.weight",
             "head": "model.embed_tokens.weight" if self.tie else "lm_head.weight"}
        layers = []
        for i in range(self.n_layers):
            b = "model.layers.%d." % i
            layers.append({
                "attn_norm": b + "input_layernorm.weight",
                "q": b + "self_attn.q_proj.weight", "q_bias": b + "self_attn.q_proj.bias",
                "k": b + "self_attn.k_proj.weight", "k_bias": b + "self_attn.k_proj.bias",
                "v": b + "self_attn.v_proj.weight", "v_bias": b + "self_attn.v_proj.bias",
                "o": b + "self_attn.o_proj.weight",
                "ffn_norm": b + "post_attention_layernorm.weight",
                "gate": b + "mlp.gate_proj.weight", "up": b + "mlp.up_proj.weight",
                "down": b + "mlp.down_proj.weight"})
        return g, layers

    def shapes(self):
        """name -> expected shape (HF nn.Linear weights are (out, in))."""
        g, layers = self.names()
        H, hd, I, V = self.hidden, self.head_dim, self.inter, self.vocab
        s = {g["embed"]: (V, H), g["norm"]: (H,), g["head"]: (V, H)}
        for d in layers:
            s[d["attn_norm"]] = (H,)
            s[d["ffn_norm"]] = (H,)
            s[d["q"]] = (self.n_heads * hd, H)
            s[d["k"]] = (self.n_kv * hd, H)
            s[d["v"]] = (self.n_kv * hd, H)
            s[d["o"]] = (H, self.n_heads * hd)
            s[d["gate"]] = (I, H)
            s[d["up"]] = (I, H)
            s[d["down"]] = (H, I)
            for kb, kw in (("q_bias", "q"), ("k_bias", "k"), ("v_bias", "v")):
                if kb in d:
                    s[d[kb]] = (s[d[kw]][0],)
        return s


# ---------------------------------------------------------------- math


def rms_norm(x, w, eps):
    # x * rsqrt(mean(x^2) + eps) * w   (eps inside the sqrt, weight after)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_cos_sin(pos, head_dim, theta):
    """pos (..., T) integer -> cos, sin (..., T, head_dim), rotate-half layout:
    frequency j (0 <= j < head_dim/2) drives lanes j and j + head_dim/2."""
    inv = 1.0 / (float(theta) ** (torch.arange(0, head_dim, 2, dtype=DT) / head_dim))
    ang = pos.to(DT)[..., None] * inv
    emb = torch.cat([ang, ang], -1)
    return emb.cos(), emb.sin()


def mrope_cos_sin(pos3, head_dim, theta, section):
    """Qwen2-VL / Dimple multimodal RoPE: pos3 (3, B, T) = temporal/height/width
    ids. cos/sin are built per component, then the head_dim lanes are split into
    section*2 chunks and chunk i takes component i % 3."""
    cos3, sin3 = rope_cos_sin(pos3, head_dim, theta)  # (3, B, T, hd)
    sizes = list(section) * 2
    if sum(sizes) != head_dim:
        raise ValueError("mrope_section %r does not cover head_dim %d" % (section, head_dim))
    cos = torch.cat([c[i % 3] for i, c in enumerate(cos3.split(sizes, -1))], -1)
    sin = torch.cat([s[i % 3] for i, s in enumerate(sin3.split(sizes, -1))], -1)
    return cos, sin


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


def apply_rope(x, cos, sin):
    # x (B, heads, T, hd); cos/sin (B, T, hd)
    return x * cos[:, None] + rotate_half(x) * sin[:, None]


class Model:
    def __init__(self, arch, weights):
        """weights: name -> tensor (any float dtype; upcast to float64)."""
        self.a = arch
        self.w = {k: v.to(DT) for k, v in weights.items()}
        shapes = arch.shapes()
        for name, shp in shapes.items():
            if name not in self.w:
                raise KeyError("missing tensor " + name)
            if tuple(self.w[name].shape) != tuple(shp):
                raise ValueError("%s shape %s != %s" % (name, tuple(self.w[name].shape), shp))

    def rope(self, pos, mode):
        a = self.a
        if mode == "mrope":
            pos3 = pos[None].expand(3, *pos.shape) if pos.dim() == 2 else pos
            return mrope_cos_sin(pos3, a.head_dim, a.theta, a.mrope_section)
        if pos.dim() == 3:
            raise ValueError("3-D positions need mrope")
        return rope_cos_sin(pos, a.head_dim, a.theta)

    def forward(self, ids, causal=False, cache=None, rope_mode=None, pos=None):
        """ids (B, T) long.  cache: None or (kv_list, C) - then only positions
        [C, T) are computed; their fresh post-RoPE K/V are appended after the
        cached K/V of [0, C) and attention runs over all T keys.
        Returns logits (B, T - C, V) for positions C..T-1 and the per-layer
        post-RoPE (K, V) over all T positions (B, n_kv, T, hd)."""
        a = self.a
        w = self.w
        g, layers = a.names()
        if rope_mode is None:
            rope_mode = "mrope" if a.mrope_section is not None else "1d"
        B, T = ids.shape
        C = cache[1] if cache is not None else 0
        if pos is None:
            pos = torch.arange(C, T).expand(B, T - C)
        cos, sin = self.rope(pos, rope_mode)
        x = w[g["embed"]][ids[:, C:]]  # (B, Tq, H)
        Tq = T - C
        nh, nkv, hd = a.n_heads, a.n_kv, a.head_dim
        kv_all = []
        for li, d in enumerate(layers):
            h = rms_norm(x, w[d["attn_norm"]], a.eps)
            q = h @ w[d["q"]].T
            k = h @ w[d["k"]].T
            v = h @ w[d["v"]].T
            if "q_bias" in d:
                q = q + w[d["q_bias"]]
                k = k + w[d["k_bias"]]
                v = v + w[d["v_bias"]]
            q = q.view(B, Tq, nh, hd).transpose(1, 2)
            k = k.view(B, Tq, nkv, hd).transpose(1, 2)
            v = v.view(B, Tq, nkv, hd).transpose(1, 2)
            q = apply_rope(q, cos, sin)
            k = apply_rope(k, cos, sin)
            if cache is not None:
                ck, cv = cache[0][li]
                k = torch.cat([ck[:, :, :C], k], 2)
                v = torch.cat([cv[:, :, :C], v], 2)
            kv_all.append((k, v))
            rep = nh // nkv  # query head j reads kv head j // rep
            kr = k.repeat_interleave(rep, dim=1)
            vr = v.repeat_interleave(rep, dim=1)
            s = (q @ kr.transpose(-1, -2)) / math.sqrt(hd)  # (B, nh, Tq, T)
            if causal:
                qp = torch.arange(C, T)[:, None]
                kp = torch.arange(T)[None, :]
                s = s.masked_fill(kp > qp, float("-inf"))
            p = torch.softmax(s, -1)
            o = (p @ vr).transpose(1, 2).reshape(B, Tq, nh * hd)
            x = x + o @ w[d["o"]].T
            h2 = rms_norm(x, w[d["ffn_norm"]], a.eps)
            gate = h2 @ w[d["gate"]].T
            up = h2 @ w[d["up"]].T
            x = x + (torch.nn.functional.silu(gate) * up) @ w[d["down"]].T
        x = rms_norm(x, w[g["norm"]], a.eps)
        logits = x @ w[g["head"]].T
        return logits, kv_all


def run_case(model, case):
    """Evaluates one reference.json case; returns list of logit rows (float64)."""
    ids = torch.tensor(case["ids"], dtype=torch.long)
    if case.get("cache"):
        cids = torch.tensor(case["cache"]["ids"], dtype=torch.long)
        C = case["cache"]["cache_len"]
        assert cids.shape == ids.shape and torch.equal(cids[:, :C], ids[:, :C])
        _, kv = model.forward(cids, causal=False)
        logits, _ = model.forward(ids, causal=False, cache=(kv, C))
    else:
        C = 0
        logits, _ = model.forward(ids, causal=bool(case["causal"]))
    rows = []
    for b, t in case["rows"]:
        assert t >= C
        rows.append(logits[b, t - C])
    return rows
