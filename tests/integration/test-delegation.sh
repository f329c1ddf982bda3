#!/bin/bash
# cgroup delegation on this host's layout: the VM tier's test, run here.
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$SRCDIR/tests/vm/test-delegation.sh"
