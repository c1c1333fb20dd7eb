# SPDX-License-Identifier: Apache-2.0
# What the inotify input's tests share: a fake root to watch below, and
# what they ask of the daemon's status.  Source after lib.sh.
. "$top_srcdir/tests/lib/frames.sh"

# inotify_setup: the test's directory and a fake root in $ROOT
inotify_setup() {
	kt_setup
	"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
	command -v jq >/dev/null || skip "jq is not installed"
}

# counts: the inotify input's events, "CREATED DESTROYED"
counts() { st '.inputs.inotify.events | "\(.created) \(.destroyed)"'; }

# expect CREATED DESTROYED: the counts reach these and stay there
expect() {
	wait_for 10 st_is '.inputs.inotify.events | "\(.created) \(.destroyed)"' "$1 $2" ||
	    fail "inotify events: expected '$1 $2' (created destroyed), got '$(counts)'"
	sleep 0.3
	assert_eq "inotify events a moment later" "$1 $2" "$(counts)"
}

# dir N: the Nth watched directory, "STATE WAITING_IN VMS"
dir() { st ".inputs.inotify.dirs[$1] | \"\(.state) \(.waiting_in // \"-\") \(.vms)\""; }

# vms: the ids of the VMs known, sorted, on one line
vms() { st '.vms | keys | join(" ")'; }
