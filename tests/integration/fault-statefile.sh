#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The host ledger's state file (<rundir>/host.state), on a fake /sys.
# Corrupt at start in every way (beyond ksm-fake.sh's wrong header), and
# so the previous release's ksm.state: not trusted, said, nothing
# restored from it, the knobs as found after stop.  A full disk
# (the run directory on a tiny tmpfs, filled): the daemon refuses to
# write any knob whose original it could not save, says so once, shows
# it in the status, keeps running, and tunes KSM once there is room.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
K="$ROOT/sys/kernel/mm/ksm"
KS=/sys/kernel/mm/ksm
STATE="$T/run/host.state"
LEGACY="$T/run/ksm.state"
saved() { grep -qxF "\"$KS/$1\" \"$2\"" "$STATE"; }
echo 0 > "$K/run"; echo 123 > "$K/pages_to_scan"; echo 45 > "$K/sleep_millisecs"
before=$(kt_fake_knobs)
echo '{ "ksm": { "detect_interval_ms": 200 } }' > "$T/conf.json"
# A kernel that marks mergeable processes: idle, the daemon steps every
# detect_interval_ms (without, every 30 s), and sees a late knob soon.
printf 'ksm_rmap_items 0\nksm_mergeable: no\n' > "$ROOT/proc/1/ksm_stat"
echo "2000 1000 200 10 0 500 0" > "$ROOT/proc/1/statm"

# corrupt FILE WHAT CONTENTS-COMMAND: FILE from CONTENTS-COMMAND
corrupt() {
	local file=$1 what=$2
	shift 2
	"$@" > "$file"
	kt_start --root "$ROOT" -c "$T/conf.json"
	kt_log_has "$file: corrupt state file, ignoring it|$file: cannot read, ignoring it" ||
	    fail "$what: not reported"
	kt_log_has "restoring the (KSM )?settings" && fail "$what: restored from"
	wait_for 5 grep -qx 1 "$K/run" || fail "$what: KSM not tuned after"
	saved pages_to_scan 123 || fail "$what: originals not saved anew"
	kt_stop
	assert_eq "knobs after a $what state file" "$before" "$(kt_fake_knobs)"
	[ -e "$STATE" ] && fail "$what: state file left after stop"
	[ -e "$LEGACY" ] && fail "$what: ksm.state left after stop"
	true
}
M='ksm-throttler-host-state 1'
R="\"$KS/run\""
corrupt "$STATE" "header-only" printf '%s\n' "$M"
corrupt "$STATE" "no value" printf '%s\n%s\n' "$M" "$R"
corrupt "$STATE" "garbage line" printf '%s\n%s "1"\n%%$#@!\n' "$M" "$R"
corrupt "$STATE" "not a setting" printf '%s\n"/etc/passwd" "1"\n' "$M"
corrupt "$STATE" "escape" printf '%s\n"/sys/../etc/passwd" "1"\n' "$M"
corrupt "$STATE" "twice" printf '%s\n%s "1"\n%s "0"\n' "$M" "$R" "$R"
corrupt "$STATE" "binary" head -c 300 /dev/urandom
corrupt "$STATE" "oversized" sh -c "printf '%s\n%s \"1\"\n' '$M' '$R'; head -c 1100000 /dev/zero | tr '\0' '#'"
corrupt "$STATE" "empty" true
ok "corrupt state files (9 kinds): said, not trusted, originals saved anew, knobs as found"

corrupt "$LEGACY" "header-only" printf 'ksm-throttler-state 1\n'
corrupt "$LEGACY" "no run line" printf 'ksm-throttler-state 1\npages_to_scan 5\n'
corrupt "$LEGACY" "garbage line" printf 'ksm-throttler-state 1\nrun 1\npages_to_scan 5\n%%$#@!\n'
corrupt "$LEGACY" "unknown knob" printf 'ksm-throttler-state 1\nrun 1\npages_shared 5\n'
corrupt "$LEGACY" "huge number" printf 'ksm-throttler-state 1\nrun 99999999999999999999999\n'
corrupt "$LEGACY" "negative" printf 'ksm-throttler-state 1\nrun 1\nsleep_millisecs -3\n'
corrupt "$LEGACY" "binary" head -c 300 /dev/urandom
corrupt "$LEGACY" "oversized" sh -c 'printf "ksm-throttler-state 1\nrun 1\n"; head -c 10000 /dev/zero | tr "\0" "#"'
corrupt "$LEGACY" "empty" true
ok "corrupt ksm.state of the previous release (9 kinds): the same"

# A directory in its place: the state cannot be saved, so KSM is left
# alone; the daemon runs.
mkdir "$STATE"
kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 kt_log_has "$STATE: cannot save the host's KSM settings, leaving KSM untouched until it can: Is a directory" ||
    fail "unsavable state not reported"
sleep 0.5
assert_eq "knobs while the state cannot be saved" "$before" "$(kt_fake_knobs)"
assert_eq "status" "Is a directory" "$(st ".policy.errors[\"$STATE\"]")"
kt_stop
rmdir "$STATE"
ok "a directory where the state file goes: KSM untouched, said, in the status"

# A state file the daemon cannot read (it runs without CAP_DAC_OVERRIDE
# and the file is another run's, mode 0): its originals would be lost
# under a new save, so nothing is saved and KSM is left alone; once it
# can be read, it is taken in and its originals are what the stop puts
# back, not the knobs a crashed run left.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	NODAC="setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search --"
	mkdir -p "$T/run"
	printf '%s\n%s "0"\n"%s" "77"\n' "$M" "$R" "$KS/pages_to_scan" > "$STATE"
	chmod 0 "$STATE"
	echo 999 > "$K/pages_to_scan"	# what a crashed run left
	KT_WRAPPER=$NODAC kt_start --root "$ROOT" -c "$T/conf.json"
	wait_for 5 kt_log_has "$STATE: cannot read: " || fail "unreadable state not said"
	wait_for 5 kt_log_has "cannot save the host's KSM settings, leaving KSM untouched until it can: Permission denied" ||
	    fail "unreadable state: saving not refused"
	ctl kick >/dev/null
	sleep 0.5
	assert_eq "pages_to_scan while the state is unread" 999 "$(cat "$K/pages_to_scan")"
	grep -qx 0 "$K/run" || fail "KSM started while the state is unread"
	chmod 0600 "$STATE"
	wait_for 5 kt_log_has "$STATE: read at last" || fail "state not read once readable"
	wait_for 5 grep -qx 1 "$K/run" || fail "KSM not tuned once the state was read"
	saved pages_to_scan 77 || fail "the originals read late were not kept: $(cat "$STATE")"
	kt_stop
	assert_eq "pages_to_scan after stop: the original read late" 77 "$(cat "$K/pages_to_scan")"
	echo 123 > "$K/pages_to_scan"
	assert_eq "knobs" "$before" "$(kt_fake_knobs)"
	ok "a state file that cannot be read: nothing saved over it, KSM left alone; read late, its originals kept"
fi

# ---- a full disk ------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs for the full-disk part"
mount -t tmpfs -o size=64k,mode=0755 kt-fault-run "$T/run" ||
    skip "cannot mount a tmpfs here"
KT_EXTRA_CLEANUP='umount "$T/run"'
fill() { dd if=/dev/zero of="$T/run/fill" bs=4k 2>/dev/null; true; }
err() { st ".policy.errors[\"$1\"] // \"-\""; }

fill
kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 kt_log_has "$STATE: cannot save the host's KSM settings, leaving KSM untouched until it can: No space left on device" ||
    fail "full disk not reported"
for i in 1 2 3 4 5; do ctl kick >/dev/null; sleep 0.2; done
assert_eq "knobs while the disk is full" "$before" "$(kt_fake_knobs)"
assert_eq "log lines for the full disk" 1 "$(kt_log_count "cannot save the host's KSM settings")"
assert_eq "status" "No space left on device" "$(err "$STATE")"
[ -e "$STATE.tmp" ] && fail "half-written state file left"
ok "disk full at the first save: no knob written, said once, in the status, daemon runs"

rm "$T/run/fill"
wait_for 5 kt_log_has "$STATE: the host's KSM settings are saved" || fail "not saved once there was room"
wait_for 5 grep -qx 1 "$K/run" || fail "KSM not tuned once saved"
saved pages_to_scan 123 || fail "state file: $(cat "$STATE")"
assert_eq "status once saved" - "$(err "$STATE")"
kt_stop
assert_eq "knobs after stop" "$before" "$(kt_fake_knobs)"
ok "room again: saved, then tuned; knobs as found after stop"

# A knob missing at the first save comes back while the disk is full:
# it is not written, the others are.
mv "$K/sleep_millisecs" "$T/sleep_millisecs"
kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 grep -qx 1 "$K/run" || fail "KSM not tuned"
fill
mv "$T/sleep_millisecs" "$K/sleep_millisecs"
wait_for 5 kt_log_has "cannot save the host's KSM settings, leaving the knobs it lacks untouched until it can: No space left on device" ||
    fail "full disk for a late knob not reported"
wait_for 5 kt_log_has "$KS/sleep_millisecs: cannot write 200 before its original is saved, trying again at each step: No space left on device" ||
    fail "late knob refused not reported"
ctl kick >/dev/null
sleep 0.5
assert_eq "late knob, unsaved" 45 "$(cat "$K/sleep_millisecs")"
grep -qF "\"$KS/sleep_millisecs\"" "$STATE" && fail "state file has the unsaved knob"
rm "$T/run/fill"
wait_for 5 saved sleep_millisecs 45 || fail "late knob not saved once there was room"
written() { [ "$(cat "$K/sleep_millisecs")" != 45 ]; }
wait_for 5 written || fail "late knob not written once saved"
kt_stop
assert_eq "knobs after stop" "$before" "$(kt_fake_knobs)"
ok "a knob whose original the full disk kept from the state file is not written until saved"
