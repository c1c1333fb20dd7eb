#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The bash completion of ksm-throttlerctl offers the verbs and options of
# DESIGN.md in the places they go, with and without the bash-completion
# package's helpers loaded.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
F="$top_srcdir/contrib/bash-completion/ksm-throttlerctl"
bash -n "$F" || fail "syntax error in $F"

# offered [BASH_COMPLETION] LINE: what bash offers at the end of LINE.
offered() {
	bash --norc --noprofile -c '
		[ -n "$1" ] && . "$1"
		. "$2"
		line=$3
		read -ra COMP_WORDS <<< "$line"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_ksm_throttlerctl ksm-throttlerctl "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' _ "$1" "$F" "$2"
}

# expect LINE WANTED
expect() {
	local got
	got=$(offered "$BC" "$1")
	[ "$got" = "$2" ] || fail "completing '$1'${BC:+ (with $BC)}: expected '$2', got '$got'"
}

run_cases() {
	expect "ksm-throttlerctl " "compact-set config event kick ksm-set memcg-set status"
	expect "ksm-throttlerctl st" "status"
	expect "ksm-throttlerctl -" "-s"
	expect "ksm-throttlerctl -s /tmp/x.sock ev" "event"
	expect "ksm-throttlerctl event vm1 c" "created creating"
	expect "ksm-throttlerctl event vm1 d" "destroyed destroying"
	expect "ksm-throttlerctl event vm1 created --" "--cgroup --class --memory --pid"
	expect "ksm-throttlerctl event vm1 created --pid 1 --" "--cgroup --class --memory"
	expect "ksm-throttlerctl event vm1 created --class " ""
	expect "ksm-throttlerctl event vm1 created --memory " ""
	expect "ksm-throttlerctl status " "--json --watch"
	expect "ksm-throttlerctl status --json " "--watch"
	expect "ksm-throttlerctl kick " ""
	expect "ksm-throttlerctl memcg-set " ""
}

BC=
run_cases
ok "completes verbs, event types and options on plain bash"

BC=/usr/share/bash-completion/bash_completion
if [ -f "$BC" ]; then
	run_cases
	ok "and with the bash-completion package's helpers"
else
	echo "note: bash-completion is not installed: only plain bash was tried"
fi
