/* The table of subcommands and their help texts. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const dm_command dm_commands[] = {
  {"generate", "fill a format spec with a diffusion LM (structured generation)",
   "Usage: dimple generate --model DIR (--schema FILE | --regex RE | --template T |\n"
   "                       --form FILE | --max-tokens N) [options] PROMPT\n"
   "\n"
   "Compile the spec into a canvas of fixed tokens and masked slots, then fill the\n"
   "slots with confident diffusion decoding. The output is always in the spec's\n"
   "language.\n",
   NULL},
  {"compile", "compile a format spec into a canvas and show it",
   "Usage: dimple compile (--schema FILE | --regex RE | --template T | --form FILE)\n"
   "                      --model DIR [--json]\n"
   "\n"
   "Show the canvas a spec compiles to: fixed tokens, slots, budgets and the\n"
   "positions the prior forces.\n",
   NULL},
  {"check", "check that a text is in a spec's language",
   "Usage: dimple check (--schema FILE | --regex RE | --template T | --form FILE) [TEXT | -]\n"
   "\n"
   "Exit 0 when the text is in the language, 1 when it is not.\n",
   NULL},
  {"tokenize", "turn text into token ids with a model's tokenizer",
   "Usage: dimple tokenize (--model DIR | --tokenizer FILE) [--special] [--json] [TEXT | -]\n",
   NULL},
  {"detokenize", "turn token ids back into text",
   "Usage: dimple detokenize (--model DIR | --tokenizer FILE) IDS\n",
   NULL},
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
