#!/bin/sh
# The decoder's guarantee on the JSON-Schema-Test-Suite's schemas (see guarantee.sh).
DM_GUARANTEE_SUITE=1 exec "${SHELL:-/bin/sh}" "$DM_TEST_SRCDIR/tests/decode/guarantee.sh"
