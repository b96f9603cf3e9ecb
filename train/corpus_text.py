#!/usr/bin/env python3
"""The text of a corpus JSONL file (train/corpus.py's format) for the BPE trainer:
every message's content, one per line.

    python3 train/corpus_text.py TRAIN.jsonl OUT.txt"""
import json
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        for m in json.loads(line)["messages"]:
            out.write(m["content"] + "\n")
