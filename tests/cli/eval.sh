#!/bin/sh
# dimple eval on the random tiny Dream fixture (tests/data/models/dream-tiny-f32 with
# the dense tiny tokenizer). A random model's answers are noise, so the figures are
# checked where the answer is known: priors whose language has one word (the model
# cannot but write it), every prior's validity (100% by the canvas guarantee), and
# the per-example records against the figures and an independent Python scoring.
. "$DM_TEST_SRCDIR/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
D=$DM_TEST_SRCDIR/tests/data
TOK=$D/tokenizer/tiny-dense/tokenizer.json
M=$D/models/dream-tiny-f32
unset DIMPLE_MODEL
EV="eval --model $M --tokenizer $TOK -q"

json_has() { # json_has PYEXPR NAME: evaluate PYEXPR with d = the JSON on stdout
  if printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" 2>/dev/null; then
    ok "$2"
  else
    not_ok "$2"
  fi
}

# --- priors whose only output is known -------------------------------------------
P=$T_TMP/priors
mkdir -p "$P"
cat >"$P/one.yaml" <<'YAML'
# one - test prior: the only answer is yes.
name: one
instruction: Say yes.
output: text
template: '{{answer}}'
fields:
  - name: answer
    enum: ['yes']
    tokens: 3
YAML
cat >"$P/pair.yaml" <<'YAML'
# pair - test prior: the only answer is {"a":"x","n":7}.
name: pair
instruction: Give the pair.
output: json
fields:
  - name: a
    enum: [x]
    tokens: 3
  - name: n
    type: integer
    minimum: 7
    maximum: 7
    tokens: 3
YAML
u() { printf '{"role":"user","content":"%s"},{"role":"assistant","content":"%s"}' "$1" "$2"; }
{
  printf '%s\n' "{\"family\":\"one\",\"prior\":\"one\",\"messages\":[$(u 'Say yes.\n\nIs it?' yes)],\"fields\":{\"answer\":\"yes\"}}"
  printf '%s\n' "{\"family\":\"one\",\"prior\":\"one\",\"messages\":[$(u 'Say yes.\n\nReally?' yes)],\"fields\":{\"answer\":\"yes\"}}"
  printf '\n'
  printf '%s\n' "{\"family\":\"one\",\"prior\":\"one\",\"messages\":[$(u 'Say yes.\n\nNo?' no)],\"fields\":{\"answer\":\"no\"}}"
  printf '%s\n' "{\"family\":\"pair\",\"prior\":\"pair\",\"messages\":[$(u 'Give the pair.\n\nx and 7' '{\"a\":\"x\",\"n\":7}')],\"fields\":{\"a\":\"x\",\"n\":7}}"
  printf '%s\n' "{\"family\":\"pair\",\"prior\":\"pair\",\"messages\":[$(u 'Give the pair.\n\nx and 7.0' '{\"a\":\"x\",\"n\":7}')],\"fields\":{\"n\":7.0,\"a\":\"x\"}}"
  printf '%s\n' "{\"family\":\"pair\",\"prior\":\"pair\",\"messages\":[$(u 'Give the pair.\n\ny and 7' '{\"a\":\"y\",\"n\":7}')],\"fields\":{\"a\":\"y\",\"n\":7}}"
  printf '%s\n' "{\"family\":\"plain\",\"prior\":null,\"messages\":[$(u 'Answer yes.' yes)],\"fields\":{\"answer\":\"yes\"}}"
} >"$T_TMP/known.jsonl"

run $EV --data "$T_TMP/known.jsonl" --priors "$P" --mode prior --json --out "$T_TMP/rec.jsonl"
expect_rc 0 "prior mode on known answers"
json_has 'd["configs"][0]["families"]["one"]["n"] == 3 and abs(d["configs"][0]["families"]["one"]["exact_match"] - 2/3) < 1e-9' "one: 2 of 3 exact (the truth 'no' cannot be written)"
json_has 'abs(d["configs"][0]["families"]["pair"]["exact_match"] - 2/3) < 1e-9' "pair: 2 of 3 exact (7.0 equals 7; a wrong 'a' does not)"
json_has 'abs(d["configs"][0]["families"]["pair"]["fields"]["a"] - 2/3) < 1e-9 and d["configs"][0]["families"]["pair"]["fields"]["n"] == 1' "pair per-field accuracy: a 2/3, n 3/3"
json_has '"plain" not in d["configs"][0]["families"] and d["configs"][0]["overall"]["n"] == 6' "prior mode skips a family without prior"
json_has 'abs(d["configs"][0]["overall"]["exact_match"] - 4/6) < 1e-9 and d["configs"][0]["overall"]["valid"] == 1' "overall: 4 of 6 exact, all valid"
if python3 - "$T_TMP/rec.jsonl" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["line"] for x in r] == [1, 2, 4, 5, 6, 7], [x["line"] for x in r]
assert [x["text"] for x in r] == ["yes"] * 3 + ['{"a":"x","n":7}'] * 3, [x["text"] for x in r]
assert [x["exact"] for x in r] == [True, True, False, True, True, False]
assert r[5]["fields_ok"] == {"a": False, "n": True}
assert all(x["valid"] and x["mode"] == "prior" and x["strategy"] == "confident" for x in r)
PY
then ok "records: lines, texts, matches"; else not_ok "records: lines, texts, matches"; fi

# --- the table, the comparison ----------------------------------------------------
run $EV --data "$T_TMP/known.jsonl" --priors "$P" --mode prior --strategy confident,maskgit
expect_rc 0 "two strategies in one call"
expect_out_has "prior mode, confident (threshold 0.95)" "table: a section per configuration"
expect_out_has "prior mode, maskgit" "table: maskgit section"
expect_out_has "confident vs maskgit, prior mode" "table: the comparison"
expect_out_has "per-field accuracy:" "table: per-field accuracy"
run $EV --data "$T_TMP/known.jsonl" --priors "$P" --mode prior --strategy confident,maskgit --json
json_has 'len(d["configs"]) == 2 and len(d["comparisons"]) == 1 and all(k in d["comparisons"][0] for k in ["mode","exact_match_confident","exact_match_maskgit","accuracy_diff_points","nfe_per_token_confident","nfe_per_token_maskgit","nfe_ratio","accept_nfe","accept_accuracy"])' "--json: comparison keys"
json_has 'all(k in d["configs"][0]["overall"] for k in ["n","exact_match","valid","nfe_per_token","nfe","generated_tokens","canvas_tokens","prompt_tokens","ms_per_output","decode_ms","model_ms","constraint_ms","fields"]) and all(k in d for k in ["configs","comparisons","data","model","outputs","wall_s"])' "--json: figure keys"
json_has 'd["configs"][0]["overall"]["generated_tokens"] >= 6 and d["configs"][0]["overall"]["nfe"] == 0 and d["outputs"] == 12' "--json: single-answer priors need no model call (NFE 0), counts add up"

# --- free mode: records against the figures and an independent scoring -------------
run $EV --data "$T_TMP/known.jsonl" --priors "$P" --mode free --free-tokens 6 --strategy maskgit --json --out "$T_TMP/free.jsonl"
expect_rc 0 "free mode"
printf '%s' "$OUT" >"$T_TMP/free-report.json"
if python3 - "$T_TMP/free.jsonl" "$T_TMP/free-report.json" "$T_TMP/known.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
rep = json.load(open(sys.argv[2]))["configs"][0]
data = {i + 1: json.loads(l) for i, l in enumerate(open(sys.argv[3])) if l.strip()}
assert len(recs) == 7 and rep["mode"] == "free" and rep["overall"]["n"] == 7
def read(text, truth, is_json):
    t = text.strip()
    if not t: return None
    if is_json:
        try: v = json.loads(t)
        except ValueError: return None
        return v if isinstance(v, dict) else None
    (k, tv), = truth.items()
    if isinstance(tv, str): return {k: t}
    try: return {k: json.loads(t)}
    except ValueError: return None
for r in recs:
    ex = data[r["line"]]
    truth, is_json = ex["fields"], ex["messages"][1]["content"].startswith("{")
    got = read(r["text"], truth, is_json)
    assert r["got"] == got, (r, got)
    exact = got is not None and all(k in got and got[k] == v and type(got[k]) is not bool for k, v in truth.items())
    assert r["exact"] == exact, r
    assert r["canvas_tokens"] == 6 and r["generated_tokens"] <= 6
    assert r["eos"] == (r["generated_tokens"] < 6), r   # no EOS: the text fills the canvas
    assert not (r["early"] and not r["eos"]), r
for fam in ("one", "pair", "plain"):
    rs = [r for r in recs if r["family"] == fam]
    f = rep["families"][fam]
    n = len(rs)
    assert f["n"] == n
    for key, rk in (("exact_match", "exact"), ("valid", "valid"), ("early", "early")):
        assert abs(f[key] - sum(r[rk] for r in rs) / n) < 1e-9, (fam, key)
    assert abs(f["no_eos"] - sum(not r["eos"] for r in rs) / n) < 1e-9
    assert f["nfe"] == sum(r["nfe"] for r in rs) and f["generated_tokens"] == sum(r["generated_tokens"] for r in rs)
PY
then ok "free records agree with an independent scoring and with the figures"; else not_ok "free records vs figures"; fi

# --- every prior in priors/: validity 100% (the guarantee) -------------------------
python3 "$DM_TEST_SRCDIR/train/corpus.py" --seed 5 --out "$T_TMP/corpus" --train-size 0 --eval-per-family 1 >/dev/null 2>&1
run $EV --data "$T_TMP/corpus/eval.jsonl" --priors "$DM_TEST_SRCDIR/priors" --mode prior --json --out "$T_TMP/all.jsonl"
expect_rc 0 "prior mode over the corpus families"
NPRIORS=$(ls "$DM_TEST_SRCDIR"/priors/*.yaml | wc -l)
json_has "len(d['configs'][0]['families']) == $NPRIORS and d['configs'][0]['overall']['n'] == $NPRIORS" "one family per prior in priors/ ($NPRIORS)"
json_has 'd["configs"][0]["overall"]["valid"] == 1 and all(f["valid"] == 1 for f in d["configs"][0]["families"].values())' "validity with priors: 100%"
json_has '0 < d["configs"][0]["overall"]["nfe"] <= d["configs"][0]["overall"]["canvas_tokens"] and d["configs"][0]["overall"]["nfe_per_token"] > 0 and d["configs"][0]["overall"]["ms_per_output"] > 0' "model calls counted: at least one commit per call"
nchk=0
while IFS= read -r line; do
  p=$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["prior"])')
  printf '%s' "$line" | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["text"])' >"$T_TMP/ans"
  if "$DIMPLE" check -q --prior "$DM_TEST_SRCDIR/priors/$p.yaml" "$T_TMP/ans"; then nchk=$((nchk + 1)); else echo "# not in $p: $(cat "$T_TMP/ans")"; fi
done <"$T_TMP/all.jsonl"
if [ "$nchk" -eq "$NPRIORS" ]; then ok "dimple check accepts all $NPRIORS prior outputs"; else not_ok "dimple check accepted $nchk of $NPRIORS"; fi
run $EV --data "$T_TMP/corpus/eval.jsonl" --priors "$DM_TEST_SRCDIR/priors" --mode free --families one-word,json-person --free-tokens 4 --json
expect_rc 0 "free mode with --families"
json_has 'sorted(d["configs"][0]["families"]) == ["json-person", "one-word"]' "--families selects"

# --- worker processes: the same records and figures --------------------------------
run $EV --data "$T_TMP/corpus/eval.jsonl" --priors "$DM_TEST_SRCDIR/priors" --mode both --families json-person,yes-no,one-word,address --free-tokens 5 --strategy confident,maskgit --threads 1 --json --out "$T_TMP/j1.jsonl"
expect_rc 0 "one process"
printf '%s' "$OUT" >"$T_TMP/j1.json"
run $EV --data "$T_TMP/corpus/eval.jsonl" --priors "$DM_TEST_SRCDIR/priors" --mode both --families json-person,yes-no,one-word,address --free-tokens 5 --strategy confident,maskgit --jobs 3 --json --out "$T_TMP/j3.jsonl"
expect_rc 0 "--jobs 3"
printf '%s' "$OUT" >"$T_TMP/j3.json"
if python3 - "$T_TMP/j1.jsonl" "$T_TMP/j3.jsonl" "$T_TMP/j1.json" "$T_TMP/j3.json" <<'PY'
import json, sys
def recs(p):
    out = []
    for l in open(p):
        r = json.loads(l)
        for k in ("ms", "model_ms", "constraint_ms"): r.pop(k)
        out.append(r)
    return out
a, b = recs(sys.argv[1]), recs(sys.argv[2])
assert len(a) == 2 * 3 + 2 * 4 and a == b, (len(a), len(b))   # prior: 3 families have a prior; free: 4
def figs(p):
    d = json.load(open(p))
    for c in d["configs"]:
        c.pop("wall_s")
        for f in list(c["families"].values()) + [c["overall"]]:
            for k in ("ms_per_output", "decode_ms", "model_ms", "constraint_ms"): f.pop(k)
    return d["configs"], d["comparisons"]
assert figs(sys.argv[3]) == figs(sys.argv[4])
assert json.load(open(sys.argv[4]))["jobs"] == 3
PY
then ok "--jobs 3 gives the records and figures of one process"; else not_ok "--jobs 3 vs one process"; fi
run $EV --data "$T_TMP/known.jsonl" --priors "$P" --jobs 0
expect_rc 2 "bad --jobs"
run $EV --data "$T_TMP/known.jsonl" --priors "$P" --device gpu
expect_rc 2 "bad --device"
expect_err_has "--device" "the error names --device"
mkdir -p "$T_TMP/badmodel"
cp "$M/config.json" "$T_TMP/badmodel/"
printf 'not safetensors' >"$T_TMP/badmodel/model.safetensors"
for j in 1 2; do
  run eval --model "$T_TMP/badmodel" --tokenizer "$TOK" --data "$T_TMP/known.jsonl" --priors "$P" -q --jobs $j
  expect_rc 4 "a corrupt model with --jobs $j"
  expect_out_empty "no report after a failure (--jobs $j)"
done

# --- errors --------------------------------------------------------------------------
run $EV --priors "$P"
expect_rc 2 "no --data"
expect_err_has "--data" "names --data"
run $EV --data "$T_TMP/missing.jsonl" --priors "$P"
expect_rc 2 "missing data file"
expect_err_has "missing.jsonl" "names the missing file"
head -1 "$T_TMP/known.jsonl" >"$T_TMP/bad.jsonl"
echo '{"family": "one", "prior": "one", "messages": [' >>"$T_TMP/bad.jsonl"
run $EV --data "$T_TMP/bad.jsonl" --priors "$P"
expect_rc 2 "malformed line"
expect_err_has "bad.jsonl:2:" "names the file and line 2"
printf '%s\n' '{"family":"x","prior":null,"messages":[],"fields":{"a":1}}' >"$T_TMP/bad2.jsonl"
run $EV --data "$T_TMP/bad2.jsonl" --priors "$P"
expect_rc 2 "line without user and assistant messages"
expect_err_has "bad2.jsonl:1:" "names line 1"
expect_err_has "messages" "says what is wrong"
: >"$T_TMP/empty.jsonl"
run $EV --data "$T_TMP/empty.jsonl" --priors "$P"
expect_rc 2 "empty data file"
run $EV --data "$T_TMP/known.jsonl" --priors "$P" --families one,nope
expect_rc 2 "unknown family"
expect_err_has "unknown family 'nope'" "names the family"
expect_err_has "one, pair, plain" "lists the families"
sed 's/"prior":"pair"/"prior":"nosuch"/' "$T_TMP/known.jsonl" >"$T_TMP/unk.jsonl"
run $EV --data "$T_TMP/unk.jsonl" --priors "$P"
expect_rc 3 "unknown prior"
expect_err_has "unk.jsonl:5:" "names the line"
expect_err_has "nosuch" "names the prior"
sed 's/Give the pair\.\\n\\nx and 7"/Another instruction.\\n\\nx"/' "$T_TMP/known.jsonl" >"$T_TMP/instr.jsonl"
run $EV --data "$T_TMP/instr.jsonl" --priors "$P" --mode prior
expect_rc 3 "user message without the prior's instruction"
expect_err_has "instr.jsonl:5:" "names the line"
run eval --model "$T_TMP/nomodel" --data "$T_TMP/known.jsonl" --priors "$P" -q
expect_rc 4 "missing model"
run $EV --data "$T_TMP/known.jsonl" --mode sideways
expect_rc 2 "bad --mode"
run $EV --data "$T_TMP/known.jsonl" --strategy confident,bogus
expect_rc 2 "bad --strategy"
expect_err_has "bogus" "names the strategy"
run $EV --data "$T_TMP/known.jsonl" --per-family 0
expect_rc 2 "bad --per-family"
run eval --help
expect_rc 0 "--help"
expect_out_has "exact" "--help explains the figures"
expect_out_has "Exit status" "--help lists exit codes"
finish
