#!/bin/bash
# Inside the VM (tests/vm/run): the resource limits test of the host tier
# (tests/integration/test-limits.sh) on a pure cgroup v2 host: memory.max,
# memory.swap.max (= memory_swap - memory, moved along when memory changes
# live), pids.max, cpu.weight, cpuset.cpus and io.weight from limits;
# lxm-cgroup changes them live (enforced, saved in the config in place,
# also with the monitor killed); one warning per limit the kernel lacks.
exec bash "$SRCDIR/tests/integration/test-limits.sh"
