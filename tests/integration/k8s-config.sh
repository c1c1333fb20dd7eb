#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The JSON configuration in contrib/kubernetes/configmap.yaml is one the
# daemon accepts, with the metrics endpoint open on the pod's network.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
CM="$top_srcdir/contrib/kubernetes/configmap.yaml"

# The block scalar under "ksm-throttler.json: |", unindented.
awk '
	/^  ksm-throttler\.json: \|$/ { on = 1; next }
	on && /^    / { sub(/^    /, ""); print; next }
	on && !/^ *$/ { on = 0 }
' "$CM" > "$T/k8s.json"
[ -s "$T/k8s.json" ] || fail "no ksm-throttler.json in $CM"
"$KTD" -n -c "$T/k8s.json" > "$T/effective.json" 2> "$T/err" ||
    fail "ksm-throttlerd refuses the ConfigMap's configuration: $(cat "$T/err")"
grep -q '"listen":	"0.0.0.0:9464"' "$T/effective.json" ||
    fail "the ConfigMap does not open metrics.listen on 0.0.0.0:9464"
ok "the ConfigMap's configuration passes ksm-throttlerd -n -c"

# The DaemonSet mounts it where its command line reads it from.
DS="$top_srcdir/contrib/kubernetes/daemonset.yaml"
grep -q '"-c", "/etc/ksm-throttler/ksm-throttler.json"' "$DS" ||
    fail "the DaemonSet does not pass -c /etc/ksm-throttler/ksm-throttler.json"
grep -q 'mountPath: /etc/ksm-throttler$' "$DS" || fail "the ConfigMap is not mounted at /etc/ksm-throttler"
# Kata's pid files (the default inputs.inotify.pid_files) and its sandboxes.
for d in /run/vc/sbs /run/vc/vm; do
	grep -q "mountPath: $d\$" "$DS" || fail "$d is not mounted"
done
grep -q 'containerPort: 9464' "$DS" || fail "the DaemonSet does not expose port 9464"
ok "the DaemonSet reads that file and exposes the metrics port"
