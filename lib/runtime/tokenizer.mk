# Tokenizer sources of libdimple-runtime (tokenizer.json, BPE, chat templates).
lib_runtime_libdimple_runtime_la_SOURCES += \
	lib/runtime/tokenizer/tok_internal.h \
	lib/runtime/tokenizer/tok_util.c \
	lib/runtime/tokenizer/tok_regex.c \
	lib/runtime/tokenizer/tok_normalize.c \
	lib/runtime/tokenizer/tok_pretok.c \
	lib/runtime/tokenizer/tok_bpe.c \
	lib/runtime/tokenizer/tok_added.c \
	lib/runtime/tokenizer/tok_decode.c \
	lib/runtime/tokenizer/tok_json.c \
	lib/runtime/tokenizer/tok_load.c \
	lib/runtime/tokenizer/tok_model.c \
	lib/runtime/tokenizer/tok_config.c \
	lib/runtime/tokenizer/tok_slow.c \
	lib/runtime/tokenizer/tok_encode.c \
	lib/runtime/tokenizer/tok_vocab.c \
	lib/runtime/tokenizer/tok_chat.c
