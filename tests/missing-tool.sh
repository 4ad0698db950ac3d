#!/bin/sh
# missing-tool.sh TEST WHAT: stands in for a test whose tool was not found
# when the build was configured, so the run fails saying what is missing
# instead of silently leaving the test out. scripts/deps.sh installs it.
echo "$1: cannot run: $2 (install it with scripts/deps.sh, then reconfigure)" >&2
exit 1
