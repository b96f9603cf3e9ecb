# Model runtime tests.
