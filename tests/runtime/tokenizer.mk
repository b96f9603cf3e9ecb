# Tokenizer tests.
