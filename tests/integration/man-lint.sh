#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The manual pages render without a warning: mandoc's linter (warnings and
# worse) and man(1) with groff's warnings.  Skips when neither is there.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
PAGES="ksm-throttlerd.8 ksm-throttlerctl.8 ksm-throttler.json.5"
ran=

if command -v mandoc >/dev/null; then
	for p in $PAGES; do
		mandoc -T lint -W warning "$top_srcdir/man/$p" > "$T/lint" 2>&1 ||
		    { cat "$T/lint" >&2; fail "mandoc -T lint: $p"; }
	done
	ok "mandoc -T lint -W warning: no warnings"
	ran=1
fi

if command -v man >/dev/null && command -v groff >/dev/null; then
	for p in $PAGES; do
		MANWIDTH=80 man --warnings -l "$top_srcdir/man/$p" \
		    > "$T/out" 2> "$T/err" || fail "man -l $p failed: $(cat "$T/err")"
		[ -s "$T/err" ] && { cat "$T/err" >&2; fail "man -l $p: warnings"; }
		grep -q "^NAME" "$T/out" || fail "man -l $p rendered no NAME section"
	done
	ok "man -l renders every page without warnings"
	ran=1
fi

[ -n "$ran" ] || skip "neither mandoc nor man with groff is installed (Debian: mandoc)"
