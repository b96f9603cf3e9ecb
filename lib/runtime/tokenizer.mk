# Tokenizer sources of libdimple-runtime (tokenizer.json, BPE, chat templates).
