#!/usr/bin/env python3
"""Teacher-forced probe of a checkpoint (issue 7): how many answer tokens the model
predicts when it is shown the chat-formatted prompt and the true answer.

    python3 train/probe_answers.py --model DIR --data EVAL.jsonl [--n 10] [--family F]
                                   [--causal | --masked] [--dimple PATH]

--causal (an AR-phase checkpoint): the whole sequence is shown with causal attention;
  the row before each answer token predicts it (Dream's shifted logits).
--masked (default; a diffusion checkpoint): every answer token is replaced by the
  mask id and the sequence read with bidirectional attention (the hardest case, t = 1).
Prints each example's predicted answer (argmax per position) under the true one, and
the token accuracy. Much cheaper than `dimple eval` (one forward per example), so it
can follow a running training; it told us the session-4 model ignored the paragraph
(the same name for every prompt) while its loss still fell.
Python 3 standard library; runs `dimple tokenize` and `dimple logits`.
"""

import argparse
import json
import os
import subprocess
import sys


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="train/corpus.py JSONL")
    ap.add_argument("--n", type=int, default=10, help="examples (default 10)")
    ap.add_argument("--family", help="only this family")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--causal", action="store_true", help="causal attention, answer shown (AR checkpoints)")
    mode.add_argument("--masked", action="store_true", help="answer masked, bidirectional (default)")
    ap.add_argument("--dimple", default=os.path.join(here, "..", "cli", "dimple"))
    a = ap.parse_args(argv)
    d = a.dimple
    info = json.loads(run([d, "tokenize", "--model", a.model, "--info", "--json"]))["special"]
    mask, end = info.get("mask"), info.get("eos")  # the trainer ends answers with EOS (its canvas tail)
    if mask is None or end is None:
        sys.exit("probe_answers.py: the tokenizer has no mask or EOS id: %s" % info)
    vocab = {}
    for line in run([d, "tokenize", "--model", a.model, "--vocab", "--json"]).splitlines():
        r = json.loads(line)
        vocab[r["id"]] = bytes.fromhex(r["bytes_hex"]).decode("utf-8", "replace") if r["bytes_hex"] else r["piece"]
    ok = total = seen = 0
    for line in open(a.data, encoding="utf-8"):
        ex = json.loads(line)
        if a.family and ex["family"] != a.family:
            continue
        if seen == a.n:
            break
        seen += 1
        user, answer = ex["messages"][0]["content"], ex["messages"][1]["content"]
        prompt = [int(x) for x in run([d, "tokenize", "--model", a.model, "--chat", user]).split()]
        ans = [int(x) for x in run([d, "tokenize", "--model", a.model, answer]).split()] + [end]
        ids = prompt + ans
        shown = ids if a.causal else prompt + [mask] * len(ans)
        rows = " ".join(str(j - 1) for j in range(len(prompt), len(ids)))
        cmd = [d, "logits", "--model", a.model, "--ids", " ".join(map(str, shown)), "--rows", rows]
        out = json.loads(run(cmd + (["--causal"] if a.causal else [])))
        got = [max(range(len(r)), key=r.__getitem__) for r in out["logits"]]
        good = sum(g == t for g, t in zip(got, ans))
        ok += good
        total += len(ans)
        print("%3d/%3d  truth %s" % (good, len(ans), answer))
        print("         model %s" % "".join(vocab.get(g, "?") for g in got))
    if not total:
        sys.exit("probe_answers.py: no examples")
    print("token accuracy %.1f%% over %d examples (%s)" % (100.0 * ok / total, seen, "causal" if a.causal else "masked"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
