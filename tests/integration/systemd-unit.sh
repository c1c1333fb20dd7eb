#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# contrib/systemd/ksm-throttlerd.service passes `systemd-analyze verify`
# (with its ExecStart pointed at the built daemon and its man: links at
# the pages of this tree), and keeps the settings the deployment relies on.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
UNIT="$top_builddir/contrib/systemd/ksm-throttlerd.service"
[ -f "$UNIT" ] || fail "$UNIT not made (make check makes it)"

grep -q '@[a-z]*@' "$UNIT" && fail "unsubstituted @variables@ in $UNIT"
for want in '^Type=notify$' '^ExecStart=.*/ksm-throttlerd -f -c .*/ksm-throttler/ksm-throttler.json$' \
    '^ExecReload=/bin/kill -HUP \$MAINPID$' '^WatchdogSec=' \
    '^RuntimeDirectory=ksm-throttler$' '^RuntimeDirectoryPreserve=yes$' \
    '^CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_CHOWN$' \
    '^NoNewPrivileges=yes$' '^ProtectSystem=strict$' '^ProtectHome=yes$' \
    '^ReadWritePaths=-/sys/kernel/mm/ksm$' '^ReadWritePaths=/sys/fs/cgroup$'; do
	grep -qE "$want" "$UNIT" || fail "$UNIT: no line matching $want"
done
ok "the unit has the settings the deployment relies on"

command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
mkdir -p "$T/man/man5" "$T/man/man8" "$T/unit"
ln -s "$top_srcdir"/man/*.5 "$T/man/man5/"
ln -s "$top_srcdir"/man/*.8 "$T/man/man8/"
sed "s|^ExecStart=[^ ]*/ksm-throttlerd |ExecStart=$KTD |" "$UNIT" \
    > "$T/unit/ksm-throttlerd.service"
(cd "$T/unit" && MANPATH="$T/man" systemd-analyze verify \
    ./ksm-throttlerd.service) > "$T/verify" 2>&1 ||
    { cat "$T/verify" >&2; fail "systemd-analyze verify"; }
[ -s "$T/verify" ] && { cat "$T/verify" >&2; fail "systemd-analyze verify warned"; }
ok "systemd-analyze verify passes"

if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	(cd "$T/unit" && systemd-analyze security --offline=true --threshold=40 \
	    ./ksm-throttlerd.service) > "$T/security" 2>&1 ||
	    { tail -5 "$T/security" >&2; fail "systemd-analyze security: exposure above 4.0"; }
	ok "$(grep -o 'Overall exposure level.*' "$T/security" | sed 's/ [^ ]*$//')"
fi
