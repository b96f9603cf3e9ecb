#!/usr/bin/python3
"""Re-loads each fixture from its files alone and recomputes its logits.

    /usr/bin/python3 tests/reference/check_fixture.py [DIR ...]
      (default: every directory under tests/data/models)

For every fixture:
  1. parses config.json (+ index / shards) with the safetensors reader in
     dlm_ref.py, checks every tensor's shape against the config;
  2. recomputes every case with a SECOND, loop-style numpy formulation written
     separately from dlm_ref.Model (per head, per query; RoPE as explicit
     rotations of lane pairs (i, i + head_dim/2); GQA as head j -> j // rep;
     prefill cache as stored K/V lists) and requires agreement with
     reference.json to 1e-5 x logit_scale (reference values are f32-rounded);
  3. recomputes with dlm_ref.Model too (must match to f32 rounding);
  4. sensitivity: perturbs one convention at a time (eps, rope_theta,
     interleaved RoPE, GQA mapping, no q/k/v bias, ignoring the cache,
     causal <-> bidirectional, logit shift) and reports by how much the
     logits move in units of the fixture's tolerance. Every perturbation the
     fixture is meant to catch must exceed the tolerance, or the check fails.
Not part of CI (needs python3-torch / python3-numpy).
"""

import copy
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dlm_ref import Arch, Model, read_checkpoint, run_case  # noqa: E402

# ------------------------------------------------------------- numpy formulation


def np_rms(x, w, eps):
    return x / math.sqrt(float(np.mean(x * x)) + eps) * w


def np_rope(vec, pos, theta):
    """Rotate lane pairs (i, i + d/2) by pos * theta^(-2i/d)."""
    d = vec.shape[0]
    h = d // 2
    out = vec.copy()
    for i in range(h):
        ang = pos * theta ** (-2.0 * i / d)
        c, s = math.cos(ang), math.sin(ang)
        a, b = vec[i], vec[i + h]
        out[i] = a * c - b * s
        out[i + h] = b * c + a * s
    return out


class NpModel:
    def __init__(self, arch, tensors):
        self.a = arch
        self.t = {k: v.numpy() for k, v in tensors.items()}
        self.g, self.layers = arch.names()

    def run(self, seq, start, cache=None, causal=False):
        """seq: list of ids (one batch row). Computes positions [start, T).
        cache: per layer list of (K list, V list) for positions < start.
        Returns (logits dict t -> vector, kv per layer (lists over all T))."""
        a, t = self.a, self.t
        T = len(seq)
        hd, nh, nkv = a.head_dim, a.n_heads, a.n_kv
        rep = nh // nkv
        xs = {p: t[self.g["embed"]][seq[p]].copy() for p in range(start, T)}
        kv_layers = []
        for li, d in enumerate(self.layers):
            K, Vv, Q = {}, {}, {}
            for p in range(start, T):
                h = np_rms(xs[p], t[d["attn_norm"]], a.eps)
                q = t[d["q"]] @ h
                k = t[d["k"]] @ h
                v = t[d["v"]] @ h
                if "q_bias" in d:
                    q = q + t[d["q_bias"]]
                    k = k + t[d["k_bias"]]
                    v = v + t[d["v_bias"]]
                Q[p] = [np_rope(q[j * hd:(j + 1) * hd], p, a.theta) for j in range(nh)]
                K[p] = [np_rope(k[j * hd:(j + 1) * hd], p, a.theta) for j in range(nkv)]
                Vv[p] = [v[j * hd:(j + 1) * hd] for j in range(nkv)]
            if cache is not None:
                for p in range(start):
                    K[p], Vv[p] = cache[li][0][p], cache[li][1][p]
            kv_layers.append(([K[p] for p in range(T)], [Vv[p] for p in range(T)]))
            new = {}
            for p in range(start, T):
                heads = []
                for j in range(nh):
                    kvh = j // rep
                    keys = range(p + 1) if causal else range(T)
                    sc = np.array([float(Q[p][j] @ K[s][kvh]) / math.sqrt(hd) for s in keys])
                    e = np.exp(sc - sc.max())
                    pr = e / e.sum()
                    heads.append(sum(pr[n] * Vv[s][kvh] for n, s in enumerate(keys)))
                o = t[d["o"]] @ np.concatenate(heads)
                x = xs[p] + o
                h2 = np_rms(x, t[d["ffn_norm"]], a.eps)
                gt = t[d["gate"]] @ h2
                up = t[d["up"]] @ h2
                x = x + t[d["down"]] @ (gt / (1.0 + np.exp(-gt)) * up)
                new[p] = x
            xs = new
        logits = {p: t[self.g["head"]] @ np_rms(xs[p], t[self.g["norm"]], a.eps) for p in xs}
        return logits, kv_layers

    def case(self, c):
        out = []
        B = len(c["ids"])
        per_b = {}
        for b in range(B):
            if c["cache"]:
                C = c["cache"]["cache_len"]
                _, kv = self.run(c["cache"]["ids"][b], 0)
                per_b[b], _ = self.run(c["ids"][b], C, cache=kv)
            else:
                per_b[b], _ = self.run(c["ids"][b], 0, causal=c["causal"])
        for b, t in c["rows"]:
            out.append(per_b[b][t])
        return out


# ------------------------------------------------------------- sensitivity


def perturbed_rows(model, case, what):
    """Logit rows under one deliberately wrong convention."""
    a = copy.copy(model.a)
    m = Model.__new__(Model)
    m.a, m.w = a, dict(model.w)
    c = copy.deepcopy(case)
    if what == "eps_x10":
        a.eps = a.eps * 10
    elif what == "rope_theta_10000":
        a.theta = 10000.0
    elif what == "no_rope":
        a.theta = 1e30
    elif what == "gqa_modulo":
        if a.n_kv == a.n_heads:
            return None
        g, layers = a.names()
        hd, rep = a.head_dim, a.n_heads // a.n_kv
        # emulate head j -> j % n_kv by permuting q heads / o columns
        perm = [(j % rep) * a.n_kv + j // rep for j in range(a.n_heads)]
        inv = [perm.index(j) for j in range(a.n_heads)]
        for d in layers:
            qw = m.w[d["q"]].view(a.n_heads, hd, -1)
            m.w[d["q"]] = qw[inv].reshape(a.n_heads * hd, -1)
            if "q_bias" in d:
                m.w[d["q_bias"]] = m.w[d["q_bias"]].view(a.n_heads, hd)[inv].reshape(-1)
            ow = m.w[d["o"]].view(-1, a.n_heads, hd)
            m.w[d["o"]] = ow[:, inv].reshape(-1, a.n_heads * hd)
    elif what == "no_qkv_bias":
        g, layers = a.names()
        if "q_bias" not in layers[0]:
            return None
        for d in layers:
            for k in ("q_bias", "k_bias", "v_bias"):
                m.w[d[k]] = torch.zeros_like(m.w[d[k]])
    elif what == "interleaved_rope":
        # GPT-J style pairs (2i, 2i+1) == rotate-half on a permuted head dim
        g, layers = a.names()
        hd = a.head_dim
        perm = [2 * i for i in range(hd // 2)] + [2 * i + 1 for i in range(hd // 2)]
        for d in layers:
            for k, n in (("q", a.n_heads), ("k", a.n_kv)):
                w = m.w[d[k]].view(n, hd, -1)
                m.w[d[k]] = w[:, perm].reshape(n * hd, -1)
                if k + "_bias" in d:
                    m.w[d[k + "_bias"]] = m.w[d[k + "_bias"]].view(n, hd)[:, perm].reshape(-1)
    elif what == "ignore_cache":
        if not c["cache"]:
            return None
        c["cache"] = None
    elif what == "flip_causal":
        if c["cache"]:
            return None
        c["causal"] = not c["causal"]
    elif what == "shift_rows":
        # reading row t - 1 instead of t (a decoder-side shift applied twice)
        C0 = c["cache"]["cache_len"] if c["cache"] else 0
        if len(c["ids"][0]) - C0 < 2:
            return None
        rows = []
        for b, t in c["rows"]:
            rows.append([b, t - 1 if t > (c["cache"]["cache_len"] if c["cache"] else 0) else t + 1])
        c["rows"] = rows
    return run_case(m, c)


PERTURBATIONS = ["eps_x10", "rope_theta_10000", "no_rope", "interleaved_rope", "gqa_modulo",
                 "no_qkv_bias", "ignore_cache", "flip_causal", "shift_rows"]


# ------------------------------------------------------------- main


def check(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(d, "reference.json")) as f:
        ref = json.load(f)
    arch = Arch(cfg)
    raw = read_checkpoint(d)
    dtypes = {dt for _, dt in raw.values()}
    assert dtypes == {ref["dtype"]}, (dtypes, ref["dtype"])
    needed = arch.shapes()
    extra = sorted(set(raw) - set(needed))
    tensors = {k: raw[k][0] for k in needed}
    model = Model(arch, tensors)
    npm = NpModel(arch, tensors)
    tol = ref["tolerance"]["rel"]
    ok = True
    worst_np = worst_t = 0.0
    sens = {p: 0.0 for p in PERTURBATIONS}
    for c in ref["cases"]:
        want = np.array(c["logits"], dtype=np.float64)
        scale = float(np.abs(want).max())
        assert abs(scale - c["logit_scale"]) <= 1e-6 * scale
        got_t = np.stack([r.numpy() for r in run_case(model, c)])
        got_n = np.stack(npm.case(c))
        e_t = float(np.abs(got_t - want).max()) / scale
        e_n = float(np.abs(got_n - want).max()) / scale
        worst_t, worst_np = max(worst_t, e_t), max(worst_np, e_n)
        if e_t > 1e-6 or e_n > 1e-5:
            print("  FAIL %s: torch rel err %.3g, numpy rel err %.3g" % (c["name"], e_t, e_n))
            ok = False
        for p in PERTURBATIONS:
            rows = perturbed_rows(model, c, p)
            if rows is None:
                continue
            dev = float(np.abs(np.stack([r.numpy() for r in rows]) - want).max()) / scale
            sens[p] = max(sens[p], dev / tol)
    name = os.path.basename(os.path.normpath(d))
    print("%s: %d cases, family %s, dtype %s; max rel err vs reference: torch %.2g, numpy %.2g%s"
          % (name, len(ref["cases"]), ref["family"], ref["dtype"], worst_t, worst_np,
             "; unused tensors: %d (%s ...)" % (len(extra), extra[0]) if extra else ""))
    print("  sensitivity (max deviation / tolerance; > 1 means the fixture catches it):")
    for p in PERTURBATIONS:
        print("    %-18s %10.1f" % (p, sens[p]))
    # the conventions every fixture must catch
    must = ["rope_theta_10000", "no_rope", "interleaved_rope", "ignore_cache", "flip_causal",
            "shift_rows"]
    if ref["dtype"] == "F32":
        must.append("eps_x10")
    if arch.n_kv != arch.n_heads:
        must.append("gqa_modulo")
    if arch.qkv_bias:
        must.append("no_qkv_bias")
    for p in must:
        if sens[p] <= 1.0:
            print("  FAIL: fixture does not detect %s" % p)
            ok = False
    if ref["family"] == "dimple":
        assert ref["mrope_equals_rope"] is True
    return ok


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    dirs = sys.argv[1:]
    if not dirs:
        root = os.path.join(here, "..", "data", "models")
        dirs = [os.path.join(root, n) for n in sorted(os.listdir(root))]
    torch.set_num_threads(1)
    bad = [d for d in dirs if not check(d)]
    if bad:
        print("FAILED: " + ", ".join(bad))
        sys.exit(1)
    print("all %d fixtures self-consistent" % len(dirs))


if __name__ == "__main__":
    main()
