#!/usr/bin/env python3
"""Independent validator for tests/prior/anyorder.sh: reads JSON lines
{"where", "schema", "text"} and checks that each text parses as JSON and is valid
against its schema with Python's jsonschema (Draft 2020-12, formats not asserted,
as in the specification's default). Prints failures and "N passed, N failed".
With --decimal, numbers in the schema and the text are read as exact decimals
(multipleOf 0.0001 on 552722.5595 holds exactly; in binary floating point it fails)."""
import decimal
import json
import sys

import jsonschema

exact = "--decimal" in sys.argv[1:]
num = {"parse_float": decimal.Decimal} if exact else {}
passed = failed = 0
for line in sys.stdin:
    rec = json.loads(line, **num)
    try:
        inst = json.loads(rec["text"], **num)
        jsonschema.Draft202012Validator(rec["schema"]).validate(inst)
        passed += 1
    except Exception as e:  # not JSON, or not valid
        failed += 1
        print("FAIL %s: %r: %s" % (rec["where"], rec["text"], str(e).splitlines()[0]))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
