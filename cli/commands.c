/* The table of subcommands and their help texts. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const dm_command dm_commands[] = {
  {"generate", "fill a format spec with a diffusion LM (structured generation)",
   "Usage: dimple generate [--model DIR] [--prior F.yaml | --schema F.json | --regex RE |\n"
   "                       --template T] [-p TEXT | --prompt-file F | PROMPT | stdin]\n"
   "                       [options]\n"
   "       dimple generate [--model DIR] --batch IN.jsonl [--out OUT.jsonl] [options]\n"
   "\n"
   "Compile the spec into a canvas of fixed tokens and masked slots, then fill the\n"
   "slots by diffusion decoding: each step the model scores every masked position,\n"
   "each position takes the best token its constraint allows, and the strategy\n"
   "commits the most confident ones. Positions the spec leaves a single choice are\n"
   "filled without a model call. The output is always in the spec's language (for a\n"
   "JSON Schema: a valid JSON document). Without a spec, --max-tokens N masks are\n"
   "filled freely and the answer is the text before the first EOS.\n"
   "\n"
   "The prompt is formatted with the tokenizer's chat template (a --prior form's\n"
   "instruction first) unless --raw-prompt.\n"
   "\n"
   "Options:\n"
   "  --model DIR         checkpoint directory (config.json, safetensors, tokenizer.json);\n"
   "                      default: $DIMPLE_MODEL, else the installed models/default\n"
   "  --tokenizer FILE    a tokenizer.json for a model directory without one\n"
   "  --prior FILE        a YAML form spec (see priors/)\n"
   "  --schema FILE       a JSON Schema\n"
   "  --regex RE          a regular expression (whole answer)\n"
   "  --template T        a template: literal text with {{slots}} (dimple help template)\n"
   "  -p, --prompt TEXT   the prompt (or --prompt-file FILE, one argument, or stdin)\n"
   "  --max-tokens N      free text length, or the budget of a regex slot (default 64)\n"
   "  --strategy S        confident (default; Dimple), maskgit, margin, entropy,\n"
   "                      random (origin), blocks (LLaDA), fastdllm\n"
   "  --threshold X       confidence threshold of confident and fastdllm (0.95)\n"
   "  --steps N           schedule length (default: one token per step)\n"
   "  --block-length N    block size of blocks and fastdllm (32)\n"
   "  --temperature T     0 (default): greedy; > 0 samples\n"
   "  --top-k K, --top-p P  sampling cut-offs over the allowed tokens\n"
   "  --seed N            random seed (same seed and inputs: same output)\n"
   "  --renorm-confidence confidence over the allowed tokens only (default: the\n"
   "                      model's unconstrained distribution)\n"
   "  --no-prefill        recompute the prompt every step (default: cache its K/V)\n"
   "  --raw-prompt        no chat template\n"
   "  --json              one JSON object: text, valid, nfe, steps, forced, tokens,\n"
   "                      generated_tokens, prompt_tokens, time_ms, model_ms,\n"
   "                      constraint_ms, ...\n"
   "  --batch IN.jsonl    one request per line: {\"id\", \"prompt\", \"schema\" | \"prior\" |\n"
   "                      \"template\" | \"regex\", \"max_tokens\", \"strategy\", \"seed\", ...};\n"
   "                      one result per line (with its id; a bad line gets an\n"
   "                      {\"error\"} object); the model and compiled specs are reused\n"
   "  --out OUT.jsonl     where --batch writes (default stdout)\n"
   "  --progress          a progress bar on stderr (when it is a terminal)\n"
   "  --visual            the canvas redrawn on stderr as masks turn into tokens\n"
   "  --threads N         kernel threads (default: all cores)\n"
   "  -h, --help          this help\n"
   "\n"
   "Exit status: 0 ok, 2 usage, 3 bad spec, 4 bad or missing model, 5 runtime failure\n"
   "(--batch: the status of the first failed line).\n"
   "Example:\n"
   "  dimple generate --model ~/models/Dream-v0-Instruct-7B --prior priors/contact-card.yaml \\\n"
   "      -p 'Ada Lovelace, ada@example.org, +44 20 7946 0958'\n",
   dm_cmd_generate},
  {"compile", "compile a format spec into a canvas and show it",
   "Usage: dimple compile (SPEC.json | SPEC.re | SPEC.tmpl | SPEC.yaml | --schema FILE |\n"
   "                       --regex RE | --template T | --prior FILE)\n"
   "                      (--model DIR | --tokenizer FILE) [--json] [options]\n"
   "\n"
   "Show the canvas a spec compiles to against a model's tokenizer: the fixed tokens\n"
   "the format dictates, the masked slots (\xe2\x96\xa2) the model fills, and per slot\n"
   "its budget (tokens), the fewest tokens a value needs, its automaton size and its\n"
   "filler (spaces after a JSON value, EOS at the end of a regex answer).\n"
   "\n"
   "A JSON Schema object whose properties are all required and that admits no\n"
   "other members is laid out as fixed text ({\"key\": ... ,}); every other value is\n"
   "one slot. Set a slot's budget with \"x-dimple-tokens\": N in its schema.\n"
   "\n"
   "Options:\n"
   "  --schema FILE       a JSON Schema (or give FILE.json)\n"
   "  --regex RE          a regular expression (or give FILE.re holding one)\n"
   "  --template T        a template, literal text with {{slots}} (or FILE.tmpl);\n"
   "                      see 'dimple help template'\n"
   "  --prior FILE        a YAML form spec (or FILE.yaml), see priors/\n"
   "  --model DIR         model directory with tokenizer.json\n"
   "  --tokenizer FILE    a tokenizer.json\n"
   "  --max-tokens N      budget of a regex slot (default: from the regex, at most 64)\n"
   "  --spec-mode         JSON Schema defaults of the specification (open objects)\n"
   "  --lenient           ignore (and list) unsupported schema keywords\n"
   "  --json              machine-readable output\n"
   "  -h, --help          this help\n"
   "\n"
   "Exit status: 0 ok, 2 usage, 3 bad spec or impossible layout, 4 bad tokenizer.\n",
   dm_cmd_compile},
  {"check", "check that a text is in a spec's language",
   "Usage: dimple check (--schema FILE | --regex RE | --template T | --prior FILE)\n"
   "                    [--canonical] [options] [FILE | -]\n"
   "\n"
   "Exit 0 when the text (FILE, or stdin) is in the spec's language, 1 when it is\n"
   "not; then stderr names the first byte (line:col) no valid text continues with.\n"
   "A regex matches the whole text. A JSON Schema's language is the canonical\n"
   "serialization of its valid instances: compact, members in the schema's order,\n"
   "numbers without exponent or trailing zeros, only \\\" \\\\ and control\n"
   "characters escaped. --canonical first rewrites a JSON document into that form\n"
   "(member order and whitespace; values untouched), so any valid document passes.\n"
   "\n"
   "Options:\n"
   "  --schema FILE   a JSON Schema (draft 2020-12)\n"
   "  --regex RE      a regular expression (whole-text match)\n"
   "  --template T    a template: literal text with {{slots}} (dimple help template)\n"
   "  --prior FILE    a YAML form spec (see priors/)\n"
   "  --canonical     canonicalize the JSON input first (needs --schema)\n"
   "  --spec-mode     JSON Schema defaults of the specification: objects open unless\n"
   "                  \"additionalProperties\" says otherwise, \"format\" not checked\n"
   "  --lenient       ignore (and list) unsupported schema keywords instead of failing\n"
   "  --exact         keep a trailing newline of the input (dropped by default)\n"
   "  -q, --quiet     no message, only the exit status\n"
   "  -h, --help      this help\n"
   "\n"
   "Exit status: 0 in the language, 1 not in it, 2 usage, 3 bad spec.\n"
   "Examples:\n"
   "  echo 2024-05-01 | dimple check --regex '[0-9]{4}-[0-9]{2}-[0-9]{2}'\n"
   "  dimple check --schema person.json --canonical answer.json\n",
   dm_cmd_check},
  {"tokenize", "turn text into token ids with a model's tokenizer",
   "Usage: dimple tokenize (--model DIR | --tokenizer FILE) [--special] [--json] [TEXT | -]\n"
   "       dimple tokenize (--model DIR | --tokenizer FILE) --lines [--special] [--json] [-]\n"
   "       dimple tokenize (--model DIR | --tokenizer FILE) --chat [--system TEXT] [--json] [TEXT | -]\n"
   "       dimple tokenize (--model DIR | --tokenizer FILE) (--info | --vocab) [--json]\n"
   "\n"
   "Encode TEXT (or standard input, with '-' or no TEXT) with a Hugging Face tokenizer\n"
   "(tokenizer.json) and print the token ids separated by spaces. Nothing is added to\n"
   "the text: no BOS/EOS. Invalid UTF-8 is read as U+FFFD, as Hugging Face would see it.\n"
   "\n"
   "Options:\n"
   "  --model DIR       a model directory with tokenizer.json (and tokenizer_config.json)\n"
   "  --tokenizer FILE  a tokenizer.json file\n"
   "  --special         recognise special tokens written in the text (\"<|im_end|>\")\n"
   "                    and give their ids; without it they are plain text\n"
   "  --lines           encode each input line on its own (the newline not included),\n"
   "                    one output line per input line\n"
   "  --chat            format TEXT as a user turn with the model's chat template\n"
   "                    (ChatML or Llama 3 headers) and the assistant's generation prompt\n"
   "  --system TEXT     the system prompt for --chat (default: the template's own)\n"
   "  --info            vocabulary size, special tokens (bos, eos, pad, unk, mask, eot)\n"
   "                    and the chat template family\n"
   "  --vocab           the vocabulary view, one line per id: ID, flags, piece, and the\n"
   "                    bytes the token decodes to in the middle of a text (hex)\n"
   "  --json            {\"ids\": [...], \"pieces\": [...], \"count\": N} (one per line with --lines;\n"
   "                    with --vocab one object per id)\n"
   "  -h, --help        this help\n"
   "\n"
   "Examples:\n"
   "  dimple tokenize --model ~/models/Dream-v0-Instruct-7B 'Hello world'\n"
   "  printf 'one\\ntwo\\n' | dimple tokenize --tokenizer tokenizer.json --lines\n",
   dm_cmd_tokenize},
  {"detokenize", "turn token ids back into text",
   "Usage: dimple detokenize (--model DIR | --tokenizer FILE) [--skip-special] [--json] [IDS... | -]\n"
   "\n"
   "Decode token ids (arguments, or standard input with '-' or none; separated by\n"
   "spaces, commas or brackets) into text through the tokenizer's decoder, and print\n"
   "the text as it is (no newline added). A byte sequence that is not valid UTF-8\n"
   "(a character split between ids) comes out as U+FFFD.\n"
   "\n"
   "Options:\n"
   "  --model DIR       a model directory with tokenizer.json\n"
   "  --tokenizer FILE  a tokenizer.json file\n"
   "  --skip-special    leave out special tokens\n"
   "  --json            {\"text\": \"...\", \"count\": N}\n"
   "  -h, --help        this help\n"
   "\n"
   "Example:\n"
   "  dimple detokenize --model ~/models/Dream-v0-Instruct-7B 9707 1879\n",
   dm_cmd_detokenize},
  {"logits", "run one forward pass and print logits",
   "Usage: dimple logits --model DIR --ids \"1 2 3 ...\" [--rows \"i j ...\"] [--causal]\n"
   "                     [--out FILE] [--cache-ids \"...\" --cache-len C]\n"
   "\n"
   "Run the model once over the token ids and print the raw logits (no shift: for\n"
   "Dream and dimple the row at position i predicts token i+1) as JSON on stdout,\n"
   "or write them to FILE as raw little-endian f32, row after row.\n"
   "\n"
   "Options:\n"
   "  --model DIR        Hugging Face model directory (config.json, *.safetensors)\n"
   "  --ids IDS          token ids; ';' separates sequences of equal length (a batch)\n"
   "  --rows ROWS        positions whose logits are wanted: \"t ...\" (every sequence)\n"
   "                     or \"b:t ...\"; default: all computed positions\n"
   "  --causal           causal attention (default: bidirectional)\n"
   "  --out FILE         write raw f32 instead of JSON\n"
   "  --cache-ids IDS    prefill cache: first run these ids in full, keep the K/V of\n"
   "  --cache-len C      positions [0, C), then compute only positions [C, T) of --ids\n"
   "                     (whose first C ids must be the same)\n"
   "  --threads N        kernel threads (default: all cores)\n"
   "  --reference        plain reference kernels (slow; for checking)\n"
   "  -h, --help         this help\n"
   "\n"
   "Example: dimple logits --model tiny --ids \"5 9 2 7\" --rows \"2 3\"\n"
   "Exit status: 0 ok, 2 usage error, 4 bad model (file and tensor named), 5 failure.\n",
   dm_cmd_logits},
  {"bench", "measure kernels, model steps and the tokenizer",
   "Usage: dimple bench forward [--shape NAME] [--dtype f32|bf16|both] [--prompt N]\n"
   "                            [--canvas N] [--steps N] [--threads N] [--json]\n"
   "       dimple bench forward --model DIR [--prompt N] [--canvas N] [--steps N]\n"
   "\n"
   "bench forward: random weights generated in memory at a real model's shape; times a\n"
   "full step (prompt + canvas, bidirectional) and a prefill-cached step, reports\n"
   "GFLOP/s and the ratio to OpenBLAS sgemm peak measured in the same run on a square\n"
   "GEMM, the OpenBLAS core in use, and peak RSS against the weight size.\n"
   "\n"
   "Options:\n"
   "  --shape NAME    qwen0.5b (Qwen2.5-0.5B-like, Dream layout) or llada1b\n"
   "                  (LLaDA-1B-like) or tiny; default: qwen0.5b\n"
   "  --dtype D       weights f32, bf16 or both (default both)\n"
   "  --prompt N      prompt length (default 256)\n"
   "  --canvas N      canvas length (default 256)\n"
   "  --cached-prompt N --cached-canvas N   prefill comparison lengths (default 4:1,\n"
   "                  i.e. 256 + 64)\n"
   "  --steps N       timed steps per measurement (default 2)\n"
   "  --threads N     kernel threads (default: all cores)\n"
   "  --model DIR     benchmark a checkpoint from disk instead (one dtype, its own shape)\n"
   "  --no-amx        with --model: BF16 weights by convert + sgemm, not AMX tiles\n"
   "  --json          machine-readable output\n",
   dm_cmd_bench},
  {"train", "train a small diffusion LM (autoregressive, then diffusion phase)",
   "Usage: dimple train --recipe FILE.yaml\n",
   NULL},
  {"info", "show the build configuration and compute devices",
   "Usage: dimple info [--model DIR] [--json]\n"
   "\n"
   "Print how dimple was built (version, BLAS library and the core OpenBLAS uses,\n"
   "whether the CUDA backend is compiled in, sanitizers) and the CUDA devices found\n"
   "at run time. Without a GPU or driver it says \"no CUDA device\" and exits 0:\n"
   "everything else works on CPU. With --model, also load the model and describe it:\n"
   "family, parameters, dtype, layers, heads, vocab, special ids, memory.\n"
   "\n"
   "OpenBLAS misdetects some virtual CPUs (an AVX-512 Xeon reported as Prescott);\n"
   "dimple then re-runs itself once with OPENBLAS_CORETYPE set to the right core.\n"
   "Set OPENBLAS_CORETYPE yourself to choose, or DIMPLE_NO_REEXEC=1 to disable.\n"
   "\n"
   "Options:\n"
   "  --model DIR  describe the model in DIR (exit 4 when it is bad)\n"
   "  --json      machine-readable output\n"
   "  -h, --help  this help\n",
   dm_cmd_info},
  {NULL, NULL, NULL, NULL},
};

const dm_topic dm_topics[] = {
  {"template", "the template syntax of fixed-length answers",
   "Templates: literal text with typed slots, for fixed-length answers.\n"
   "\n"
   "  Answer: {{answer:yes|no}} because {{reason:text <=24}}.\n"
   "  Due {{due:date}}, code {{code:/[A-Z]{3}-[0-9]{3}/ =4}}\n"
   "\n"
   "A slot is {{NAME}} or {{NAME:TYPE}}, optionally followed by a space and a budget:\n"
   "  <=N   up to N tokens; the rest is filler (spaces, or EOS when the slot ends the\n"
   "        template), dropped from the output\n"
   "  =N    exactly N tokens, no filler (an exact-length answer)\n"
   "Without a budget a slot gets the length of its longest value, at most 16 tokens.\n"
   "\n"
   "TYPE is one of\n"
   "  /REGEX/      an inline regular expression (write \\/ for a slash)\n"
   "  A|B|C        one of these words (literal text)\n"
   "  NAME         a built-in type: text (one line), word, int, number; or a named\n"
   "               grammar from grammars/: date, time, date-time, email, uuid, ipv4,\n"
   "               ipv6, uri, hostname, phone (set DIMPLE_GRAMMARS to add a folder)\n"
   "Without TYPE a slot is text. Slot names are letters, digits and _, unique.\n"
   "A backslash in literal text takes the next character as is: \\{{ is a literal {{.\n"
   "\n"
   "Try: dimple check --template 'Answer: {{a:yes|no}}' <<< 'Answer: yes'\n"},
  {NULL, NULL, NULL},
};

const dm_topic *dm_topic_find(const char *name) {
  for (const dm_topic *t = dm_topics; t->name; t++)
    if (strcmp(t->name, name) == 0) return t;
  return NULL;
}

const dm_command *dm_command_find(const char *name) {
  for (const dm_command *c = dm_commands; c->name; c++)
    if (strcmp(c->name, name) == 0) return c;
  return NULL;
}

void dm_cli_print_help(const dm_command *cmd) {
  fputs(cmd->help, stdout);
  if (!cmd->run)
    printf("\n'dimple %s' is not available yet in this version (%s).\n", cmd->name,
           dm_version());
}
