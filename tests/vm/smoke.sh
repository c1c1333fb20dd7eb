#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Guest smoke test: the VM gives guest scripts what they rely on.  MGLRU
# that turns on and ages a cgroup's pages, a cgroup v2 memory controller
# whose memory.reclaim reclaims, kernel modules packed on demand (swap on
# zram), and the built daemon, which prints its configuration, starts, and
# stops on SIGTERM leaving every KSM knob as it found it.
# vm-modules: zram
. "$top_srcdir/tests/vm/lib.ash"

kt_setup
FILL=/tmp/kt-smoke.fill
KT_EXTRA_CLEANUP='rm -f $FILL; vm_cgroup_rm $CG_ROOT/kt-smoke; vm_swap_off;
    vm_lru_gen_restore; [ -n "${KT_HOST_KNOBS:-}" ] && ksm_put_back 2>/dev/null'

ok "guest kernel $(uname -r), $(nproc) CPUs, $(free -m | awk '/^Mem:/ { print $2 }') MiB"

vm_lru_gen_on || fail "no $LRU_GEN: a kernel without CONFIG_LRU_GEN"
[ "$(cat "$LRU_GEN")" != 0x0000 ] || fail "MGLRU stays off after writing y"
[ -r "$LRU_GEN_DEBUG" ] || fail "no $LRU_GEN_DEBUG (debugfs not mounted?)"
ok "MGLRU on ($LRU_GEN: $(cat "$LRU_GEN"))"

grep -qw memory "$CG_ROOT/cgroup.controllers" ||
    fail "no memory controller in $CG_ROOT/cgroup.controllers"
CG=$(vm_cgroup kt-smoke) || fail "cannot make a cgroup with +memory"
[ -e "$CG/memory.reclaim" ] || fail "no $CG/memory.reclaim"
echo 0 > "$CG/memory.reclaim" || fail "memory.reclaim refused a write"
ok "cgroup v2 memory controller: $CG has memory.reclaim"

vm_swap_on 256M || fail "no swap on zram"
ok "swap on zram, module loaded on demand"

# 64 MiB of tmpfs pages charged to the cgroup: with swap they are reclaimable.
vm_run_in "$CG" dd if=/dev/zero of="$FILL" bs=1M count=64 2>/dev/null ||
    fail "the workload did not run in $CG"
before=$(cat "$CG/memory.current")
[ "$before" -ge $((60 << 20)) ] || fail "workload charged only $before bytes"
ok "workload charged $((before >> 20)) MiB to $CG"

id=$(vm_memcg_id "$CG")
[ -n "$id" ] || fail "$LRU_GEN_DEBUG does not list $CG"
max=$(vm_lru_gens "$CG" | awk 'END { print $1 }')
echo "+ $id 0 $max" > "$LRU_GEN_DEBUG" || fail "MGLRU aging of memcg $id refused"
assert_eq "youngest generation after aging" $((max + 1)) \
    "$(vm_lru_gens "$CG" | awk 'END { print $1 }')"
ok "MGLRU aged memcg $id from generation $max to $((max + 1))"

echo 32M > "$CG/memory.reclaim" || fail "memory.reclaim could not reclaim 32M"
after=$(cat "$CG/memory.current")
[ "$after" -le $((before - (32 << 20))) ] ||
    fail "memory.current $before -> $after after reclaiming 32M"
ok "memory.reclaim took $(((before - after) >> 20)) MiB, $(($(cat "$CG/memory.swap.current") >> 20)) MiB now in swap"

"$KTD" -n > "$T/config.json" || fail "ksm-throttlerd -n failed"
grep -q '"ksm":' "$T/config.json" || fail "ksm-throttlerd -n printed no ksm section"
ok "ksm-throttlerd -n prints the configuration"

[ -w "$KSMD/run" ] || fail "no writable $KSMD/run in the guest kernel"
# The kernel's defaults go back at exit; the daemon finds others and must
# leave those.
KT_HOST_KNOBS=$(ksm_knobs)
echo 1234 > "$KSMD/pages_to_scan" && echo 57 > "$KSMD/sleep_millisecs" ||
    fail "cannot set the KSM knobs"
found=$(ksm_knobs)
kt_start
wait_for 10 grep -qx 1 "$KSMD/run" || fail "the daemon did not start ksmd"
if [ -x "$KTCTL" ]; then
	"$KTCTL" -s "$SOCK" status --json > "$T/status.json" ||
	    fail "ksm-throttlerctl status failed"
	ok "ksm-throttlerctl status answers"
fi
kt_stop
assert_eq "KSM knobs after SIGTERM" "$found" "$(ksm_knobs)"
ok "the daemon started ksmd and put every KSM knob back on SIGTERM"

vm_pass
