#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real kernel: SIGKILL at random moments, then a restart and a stop; the
# host's KSM knobs must be back every time.  ksm-restore.sh kills once
# at a quiet moment; here, for about 25 seconds, each round sets other
# host knobs and kills the daemon while it starts, during a boost after
# a kick, or while it restores on SIGTERM.  KT_SEED=N replays a run.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
kt_ksm_real
seed=${KT_SEED:-$$}
RANDOM=$seed
echo "# seed $seed"

# set_host RUN PAGES SLEEP ADVISOR: the host's own settings
set_host() {
	echo none > "$KSMD/advisor_mode" 2>/dev/null
	echo "$2" > "$KSMD/pages_to_scan"
	echo "$3" > "$KSMD/sleep_millisecs"
	[ "$4" = none ] || echo "$4" > "$KSMD/advisor_mode"
	echo "$1" > "$KSMD/run"
}
HOSTS=("0 100 20 none" "0 1234 57 none" "1 321 200 none" "0 100 20 scan-time")
[ -e "$KSMD/advisor_mode" ] || HOSTS=("${HOSTS[@]:0:3}")
echo '{ "ksm": { "detect_interval_ms": 200 } }' > "$T/conf.json"
# ms N: a random delay below N milliseconds, for sleep
ms() { printf '0.%03d' $((RANDOM % $1)); }

declare -A rounds
start=$SECONDS
end=$((start + 25))
while [ $SECONDS -lt $end ]; do
	host=${HOSTS[RANDOM % ${#HOSTS[@]}]}
	set_host $host
	before=$(ksm_knobs)
	moment=$((RANDOM % 3))
	case $moment in
	0)	what=start
		: > "$T/daemon.log"
		"$KTD" -f -v --socket "$SOCK" -c "$T/conf.json" \
		    >>"$T/daemon.log" 2>&1 9>&- &
		KT_PID=$!
		sleep "$(ms 40)"
		kt_kill ;;
	1)	what=boost
		kt_start -c "$T/conf.json"
		ctl kick >/dev/null
		sleep "$(ms 400)"
		kt_kill ;;
	2)	what=restore
		kt_start -c "$T/conf.json"
		ctl kick >/dev/null
		sleep "$(ms 200)"
		kill -TERM "$KT_PID"
		sleep "$(ms 4)"
		kt_kill ;;
	esac
	kt_start -c "$T/conf.json"
	kt_stop
	assert_eq "knobs after a kill during $what and a restart (host: $host)" \
	    "$before" "$(ksm_knobs)"
	[ -e "$T/run/host.state" ] && fail "state file left after a clean stop ($what)"
	rounds[$what]=$(( ${rounds[$what]:-0} + 1 ))
done
for what in start boost restore; do
	[ "${rounds[$what]:-0}" -gt 0 ] || fail "no round killed during $what"
done
ok "killed $((rounds[start] + rounds[boost] + rounds[restore])) times (start ${rounds[start]}, boost ${rounds[boost]}, restore ${rounds[restore]}) in $((SECONDS - start)) s: knobs as found after each restart"
