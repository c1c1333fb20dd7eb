#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# --check-config: the effective configuration printed as JSON (golden
# files), and every kind of bad file refused with the file, key and reason.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
G="$top_srcdir/tests/integration/golden"

"$KTD" -n > "$T/default.json" || fail "-n on defaults exited non-zero"
diff -u "$G/default.json" "$T/default.json" ||
    fail "default configuration differs from golden/default.json"
ok "defaults match golden/default.json"

# The printed configuration is itself a valid configuration file.
"$KTD" -n -c "$T/default.json" > "$T/again.json" || fail "re-reading -n output"
diff -u "$T/default.json" "$T/again.json" || fail "-n output does not round-trip"
ok "-n output reads back unchanged"

cat > "$T/some.json" <<'JSON'
{ "memcg": { "period_secs": 60, "swap": true,
             "cache_reclaim": { "parent": "/sys/fs/cgroup/memory/kubepods",
                                "threshold": "30%" } },
  "compact": { "compact_order": 10, "compact_force_times": 0 },
  "inputs": { "inotify": { "dirs": ["/run/vc/sbs", "/run/kata"] } } }
JSON
"$KTD" -n -c "$T/some.json" > "$T/some.out" || fail "-n on a good file"
diff -u "$G/some.json" "$T/some.out" || fail "some.json differs from golden"
ok "a partial file changes only its keys"

"$KTD" -n --socket /tmp/elsewhere.sock | grep -q '"path":	"/tmp/elsewhere.sock"' ||
    fail "--socket not reflected in the effective configuration"
ok "--socket overrides socket.path"

# bad FILE-CONTENTS EXPECTED-MESSAGE-PART
bad() {
	printf '%s' "$1" > "$T/bad.json"
	if "$KTD" -n -c "$T/bad.json" > "$T/out" 2> "$T/err"; then
		fail "accepted bad config: $1"
	fi
	grep -qF -- "$T/bad.json: $2" "$T/err" ||
	    fail "message for '$1' was '$(cat "$T/err")', wanted '$2'"
	[ -s "$T/out" ] && fail "printed a configuration for a bad file"
	true
}
bad '' "not valid JSON"
bad 'garbage' "not valid JSON"
bad '{"memcg": {"period_secs": 60}' "not valid JSON"
bad '{"memcg": {"period_secs": 60}} xyz' "not valid JSON near \"xyz\""
bad '{} {}' "not valid JSON"
bad '[1,2]' "configuration: expected an object"
bad '{"nosuch": 1}' "nosuch: unknown key"
bad '{"memcg": {"period": 1}}' "memcg.period: unknown key"
bad '{"memcg": {"period_secs": "600"}}' "memcg.period_secs: expected an integer"
bad '{"memcg": {"period_secs": 0}}' "memcg.period_secs: expected an integer from 1"
bad '{"memcg": {"swappiness_max": 201}}' "memcg.swappiness_max: expected an integer from 0 to 200"
bad '{"memcg": {"disabled": "yes"}}' "memcg.disabled: expected true or false"
bad '{"compact": {"compact_order": -1}}' "compact.compact_order"
bad '{"compact": {"compact_threshold": 1e30}}' "compact.compact_threshold"
bad '{"inputs": {"inotify": {"dirs": "/run"}}}' "inputs.inotify.dirs: expected a list"
bad '{"memcg": {"cache_reclaim": {"threshold": "lots"}}}' "memcg.cache_reclaim.threshold"
bad '{"socket": {"path": 7}}' "socket.path: expected a string"
bad '{"memcg": {"backend": "lru"}}' "memcg.backend: expected one of"
bad '{"memcg": {"cgroups": ["/a/../b"]}}' "memcg.cgroups: entry 0: expected a cgroup path glob"
bad '{"memcg": {"overrides": [{"path": "/k", "swappiness_max": 300}]}}' "memcg.overrides: entry 0: swappiness_max: expected an integer from 0 to 200"
bad '{"memcg": {"classes": [{"name": "a", "allowswap": 1}]}}' "memcg.classes: entry 0: allowswap: expected true or false"
bad '{"memcg": {"period_secs": 6e2}}' "memcg.period_secs: expected an integer from 1 to 604800, written without fraction or exponent"
bad '{"memcg": {"period_secs": 600.0}}' "memcg.period_secs: expected an integer from 1 to 604800, written without fraction or exponent"
bad '{"compact": {"compact_force_times": 18446744073709551616}}' "compact.compact_force_times: expected an integer from 0 to 18446744073709551615"
bad '{"memcg": {"cache_reclaim": {"threshold": "12\nK"}}}' "memcg.cache_reclaim.threshold: expected a byte count"
bad '{"memcg": {"cache_reclaim": {"threshold": "25\n%"}}}' "memcg.cache_reclaim.threshold: expected a byte count"
bad '{"inputs": {"inotify": {"dirs": ["relative/dir"]}}}' "inputs.inotify.dirs: entry 0: expected an absolute path"
bad '{"inputs": {"inotify": {"dirs": ["/run/vc/sbs", "/a/*/b"]}}}' "inputs.inotify.dirs: entry 1: a pattern has one \"*\", in the last component"
bad '{"inputs": {"inotify": {"dirs": ["/x/*a*.pid"]}}}' "inputs.inotify.dirs: entry 0: a pattern has one \"*\""
bad '{"inputs": {"inotify": {"dirs": ["/y/../etc"]}}}' "inputs.inotify.dirs: entry 0: expected an absolute path, no \".\" or \"..\" components"
bad '{"inputs": {"inotify": {"pid_files": ["/run/no-placeholder/pid"]}}}' "inputs.inotify.pid_files: entry 0: expected an absolute path with \"{vm}\" once"
bad '{"inputs": {"inotify": {"pid_files": ["rel/{vm}"]}}}' "inputs.inotify.pid_files: entry 0: expected an absolute path"
ok "bad files are refused naming file, key and reason"

"$KTD" -n -c "$T/missing.json" 2> "$T/err" && fail "accepted a missing file"
grep -q "missing.json: No such file" "$T/err" || fail "missing file message: $(cat "$T/err")"
head -c 2000000 /dev/zero | tr '\0' ' ' > "$T/huge.json"
"$KTD" -n -c "$T/huge.json" 2> "$T/err" && fail "accepted a huge file"
grep -q "larger than" "$T/err" || fail "huge file message: $(cat "$T/err")"
ok "missing and oversized files are refused"

"$KTD" --version | grep -q '^ksm-throttlerd [0-9]' || fail "--version"
"$KTD" --bogus 2> "$T/err" && fail "accepted an unknown option"
grep -q usage "$T/err" || fail "no usage for an unknown option"
ok "--version and usage"
