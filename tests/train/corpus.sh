#!/bin/sh
# train/corpus.py: the corpus generator for the embedded default model. Small run in a
# temporary folder: deterministic, eval entities never in train, answers canonical
# JSON with the priors' field names in order, family counts, chat structure.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }

GEN="$DM_TEST_SRCDIR/train/corpus.py"
gen() { python3 "$GEN" "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?; OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err"); }

gen --seed 7 --out "$T_TMP/a" --train-size 1900 --eval-per-family 40
expect_rc 0 "generate seed 7"
gen --seed 7 --out "$T_TMP/b" --train-size 1900 --eval-per-family 40
expect_rc 0 "generate seed 7 again"
if cmp -s "$T_TMP/a/train.jsonl" "$T_TMP/b/train.jsonl" && cmp -s "$T_TMP/a/eval.jsonl" "$T_TMP/b/eval.jsonl"; then
  ok "same seed, byte-identical files"
else
  not_ok "same seed gave different files"
fi
gen --seed 8 --out "$T_TMP/c" --train-size 1900 --eval-per-family 40
if [ "$RC" -eq 0 ] && ! cmp -s "$T_TMP/a/train.jsonl" "$T_TMP/c/train.jsonl"; then
  ok "another seed, another corpus"
else
  not_ok "seed 8 failed or equals seed 7"
fi

gen --out "$T_TMP/d"
expect_rc 2 "no --seed is a usage error"
expect_err_has "--seed" "the usage error names --seed"
gen --seed 1 --out "$T_TMP/d" --train-size -5
expect_rc 2 "negative size is a usage error"

# The content checks, in Python (one line of output per failed check).
cat >"$T_TMP/check.py" <<'EOF'
import json, re, sys, os
src, d, seed8 = sys.argv[1], sys.argv[2], sys.argv[3]
bad = []
def load(p):
    return [json.loads(l) for l in open(p, encoding="utf-8")]
tr, ev = load(os.path.join(d, "train.jsonl")), load(os.path.join(d, "eval.jsonl"))
tr8 = load(os.path.join(seed8, "train.jsonl"))
# the priors' instructions and field names, read from the YAML files
priors = {}
for fn in sorted(os.listdir(os.path.join(src, "priors"))):
    if not fn.endswith(".yaml"): continue
    instr, fields = None, []
    for line in open(os.path.join(src, "priors", fn), encoding="utf-8"):
        m = re.match(r"^instruction:\s*(.*?)\s*$", line)
        if m: instr = m.group(1)
        m = re.match(r"^  - name:\s*(\S+)\s*$", line)
        if m: fields.append(m.group(1))
    priors[fn[:-5]] = (instr, fields)
if len(priors) != 12: bad.append("expected 12 priors, read %d" % len(priors))
text_re = {"date-answer": r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", "yes-no": r"yes|no", "multiple-choice": r"[ABCD]"}
fams_tr, fams_ev = {}, {}
for name, rows, counts in (("train", tr, fams_tr), ("eval", ev, fams_ev)):
    for i, e in enumerate(rows):
        where = "%s line %d" % (name, i + 1)
        if list(e) != ["family", "prior", "messages", "fields"]: bad.append(where + ": keys " + str(list(e))); continue
        counts[e["family"]] = counts.get(e["family"], 0) + 1
        m = e["messages"]
        if [x.get("role") for x in m] != ["user", "assistant"] or any(list(x) != ["role", "content"] for x in m):
            bad.append(where + ": messages are not user, assistant"); continue
        u, a = m[0]["content"], m[1]["content"]
        if not (isinstance(u, str) and isinstance(a, str) and u.strip() and a.strip()): bad.append(where + ": empty content")
        if "<|im_" in u + a or "<|endoftext|>" in u + a: bad.append(where + ": chat markers inside content")
        p = e["prior"]
        if p is not None:
            if p not in priors: bad.append(where + ": unknown prior " + p); continue
            instr, fields = priors[p]
            if not u.startswith(instr + "\n\n"): bad.append(where + ": user message does not start with the prior's instruction")
            if list(e["fields"]) != fields: bad.append(where + ": fields %s != prior's %s" % (list(e["fields"]), fields))
            if p in text_re:
                if not re.fullmatch(text_re[p], a) or a != e["fields"][fields[0]]: bad.append(where + ": text answer " + repr(a))
                continue
        if a[:1] in "{[":
            try:
                v = json.loads(a)
            except ValueError as x:
                bad.append(where + ": answer is not JSON: " + str(x)); continue
            if json.dumps(v, ensure_ascii=False, separators=(",", ":")) != a: bad.append(where + ": answer not canonical: " + a)
            if v != e["fields"]: bad.append(where + ": answer differs from fields")
            if p is not None and list(v) != priors[p][1]: bad.append(where + ": answer members not in the prior's order")
# family counts
if set(fams_tr) != set(fams_ev) or len(fams_ev) < 19: bad.append("families differ: %s vs %s" % (sorted(fams_tr), sorted(fams_ev)))
if any(n != 40 for n in fams_ev.values()): bad.append("eval counts not 40 each: %s" % fams_ev)
if sum(fams_tr.values()) != 1900 or max(fams_tr.values()) - min(fams_tr.values()) > 1: bad.append("train counts: %s" % fams_tr)
fam_prior = {e["family"]: e["prior"] for e in tr}
for p in priors:
    if p not in fam_prior.values(): bad.append("no family for prior " + p)
# disjoint entity pools: by category, over the ground truth of both files (seeds 7 and 8)
CAT = {"name": "person", "customer": "person", "first_name": "first", "last_name": "last", "city": "city",
       "product": "product", "company": "company", "vendor": "company", "organizer": "company", "employer": "company",
       "street": "street"}
def ents(rows):
    s = {}
    for e in rows:
        for k, v in e["fields"].items():
            if k in CAT and isinstance(v, str):
                c = CAT[k]
                if c == "person":
                    f, l = v.split(" ", 1); s.setdefault("first", set()).add(f); s.setdefault("last", set()).add(l)
                elif c == "street":
                    s.setdefault(c, set()).add(v.split(" ", 1)[1])
                else:
                    s.setdefault(c, set()).add(v)
    return s
et, ee = ents(tr + tr8), ents(ev)
for c in ("first", "last", "city", "product", "company", "street"):
    if not ee.get(c): bad.append("no eval entities of kind " + c)
    common = ee.get(c, set()) & et.get(c, set())
    if common: bad.append("eval %s also in train: %s" % (c, sorted(common)[:5]))
# no word of an eval entity (generic words such as "Ltd" or "lamp" aside) appears
# anywhere in the train text
GENERIC = {"Ltd", "Inc", "GmbH", "Co", "Labs", "Systems", "Foods", "Works", "Pro", "Mini", "Street", "Road",
           "Avenue", "Lane", "Way", "Square", "Court", "Drive"}
words = set(re.findall(r"\w+", "\n".join(x["content"] for e in tr + tr8 for x in e["messages"])))
evw = {w for c in ee.values() for v in c for w in re.findall(r"\w+", v)
       if w not in GENERIC and not w.isdigit() and not w.islower()}
leak = sorted(evw & words)
if leak: bad.append("eval entity words in train text: %s" % leak[:5])
for b in bad[:20]: print(b)
print("%d train, %d eval, %d problems" % (len(tr), len(ev), len(bad)))
sys.exit(1 if bad else 0)
EOF
python3 "$T_TMP/check.py" "$DM_TEST_SRCDIR" "$T_TMP/a" "$T_TMP/c" >"$T_TMP/out" 2>"$T_TMP/err"
RC=$?; OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
echo "$OUT"
expect_rc 0 "structure, canonical answers, prior fields in order, family counts, disjoint pools"
expect_out_has "1900 train, 760 eval, 0 problems" "all examples checked"

# The priors' answers are in the priors' languages, by dimple's own checker: the
# first 3 eval answers of each prior.
python3 - "$T_TMP/a/eval.jsonl" "$T_TMP/ans" <<'PYEOF'
import json, os, sys
os.makedirs(sys.argv[2]); n = {}
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line); p = e["prior"]
    if p and n.get(p, 0) < 3:
        n[p] = n.get(p, 0) + 1
        with open(os.path.join(sys.argv[2], "%s.%d" % (p, n[p])), "w", encoding="utf-8") as f:
            f.write(e["messages"][1]["content"])
PYEOF
nans=0
for f in "$T_TMP"/ans/*; do
  p=$(basename "$f"); p=${p%.*}
  nans=$((nans + 1))
  run check --prior "$DM_TEST_SRCDIR/priors/$p.yaml" "$f"
  expect_rc 0 "dimple check --prior $p accepts $(cat "$f")"
done
if [ "$nans" -eq 36 ]; then ok "36 prior answers checked"; else not_ok "expected 36 prior answers, found $nans"; fi
finish
