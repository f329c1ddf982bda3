#!/bin/bash
# Inside the VM (tests/vm/run): the same-name test of the host tier
# (tests/integration/test-samename.sh) on a pure cgroup v2 host: two
# containers of one name in two lxmpaths run at once in 'lxm/NAME' and
# 'lxm/NAME-1' (owner marks on v2 cgroups), and every command, the freezer
# (cgroup.freeze) and the stops reach only their own.
exec bash "$SRCDIR/tests/integration/test-samename.sh"
