#!/usr/bin/env python3
"""Markdown tables of a `dimple eval --json` result (standard library only), for the
model card of models/default.

    python3 train/eval_tables.py EVAL.json [--label NAME]

Prints, for every configuration (mode x strategy) the eval ran:
  - one row per family: examples, exact match (every field right), field accuracy
    (the mean over the family's fields), validity, early EOS and no-EOS rates (free
    mode: the length-bias symptoms), NFE per generated token;
  - a summary row over the eight extraction and form-filling families (EXTRACTION),
    weighted by examples: the acceptance figure of issue 7 is its field accuracy;
and the confident-versus-maskgit comparisons dimple eval made."""
import json
import sys

EXTRACTION = ["json-person", "json-order", "json-event", "form-fill", "contact-card", "invoice", "address",
              "product-review"]


def pct(x):
    return "%.1f%%" % (100.0 * x) if x is not None else "-"


def field_acc(f):
    fields = f.get("fields") or {}
    return sum(fields.values()) / len(fields) if fields else None


def summary(fams):
    rows = [fams[k] for k in EXTRACTION if k in fams]
    n = sum(r["n"] for r in rows)
    if not n:
        return None
    out = {"n": n}
    for key in ("exact_match", "valid", "early", "no_eos"):
        vals = [(r[key], r["n"]) for r in rows if r.get(key) is not None]
        out[key] = sum(v * w for v, w in vals) / sum(w for _, w in vals) if vals else None
    out["field_acc"] = sum(field_acc(r) * r["n"] for r in rows) / n
    nfe = sum(r["nfe"] for r in rows)
    gen = sum(r["generated_tokens"] for r in rows)
    out["nfe_per_token"] = nfe / gen if gen else None
    return out


def row(name, f, fa):
    nfe = f.get("nfe_per_token")
    return "| %s | %d | %s | %s | %s | %s | %s | %s |" % (
        name, f["n"], pct(f["exact_match"]), pct(fa), pct(f.get("valid")), pct(f.get("early")),
        pct(f.get("no_eos")), "%.3f" % nfe if nfe is not None else "-")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d = json.load(open(sys.argv[1]))
    label = sys.argv[sys.argv.index("--label") + 1] if "--label" in sys.argv else ""
    for c in d["configs"]:
        print("**%s%s mode, %s**%s\n" % (label + ": " if label else "", c["mode"], c["strategy"],
                                         " (threshold %.2f)" % c["threshold"] if c["strategy"] == "confident" else ""))
        print("| family | n | exact | field acc. | valid | early EOS | no EOS | NFE/token |")
        print("|---|---|---|---|---|---|---|---|")
        fams = c["families"]
        for name in sorted(fams, key=lambda k: (k not in EXTRACTION, k)):
            print(row(name, fams[name], field_acc(fams[name])))
        s = summary(fams)
        if s:
            print(row("**8 extraction/form families**", s, s["field_acc"]))
        print()
    for cmp in d.get("comparisons") or []:
        print("Comparison, %s mode: confident exact %s vs maskgit %s (%.1f points); NFE/token %.3f vs %.3f "
              "(ratio %.2f)\n" % (cmp["mode"], pct(cmp["exact_match_confident"]), pct(cmp["exact_match_maskgit"]),
                                  cmp["accuracy_diff_points"], cmp["nfe_per_token_confident"],
                                  cmp["nfe_per_token_maskgit"], cmp["nfe_ratio"]))


if __name__ == "__main__":
    main()
