#!/bin/bash
# security.nesting on this host: the VM tier's test, run here.
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$SRCDIR/tests/vm/test-nesting.sh"
