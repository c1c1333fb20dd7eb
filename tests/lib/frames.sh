# SPDX-License-Identifier: Apache-2.0
# Hand-made frames of the control protocol, for tests that send good and
# bad requests with tests/lib/ktraw.  Messages are spelt out in hex, protobuf
# encoding and all, so that a test can also spell them wrong.
# Source after lib.sh.

KTRAW="$top_builddir/tests/lib/ktraw"

# pb_varint N: a protobuf varint, in hex
pb_varint() {
	local n=$1 out=
	while [ "$n" -ge 128 ]; do
		out="$out$(printf %02x $(( (n & 127) | 128 )))"
		n=$((n >> 7))
	done
	printf '%s%02x' "$out" "$n"
}
# pb_int FIELD N, pb_bytes FIELD HEX, pb_str FIELD STRING: one field
pb_int() { pb_varint $(( $1 << 3 )); pb_varint "$2"; }
pb_bytes() { pb_varint $(( ($1 << 3) | 2 )); pb_varint $(( ${#2} / 2 )); printf '%s' "$2"; }
pb_str() { pb_bytes "$1" "$(printf '%s' "$2" | od -An -tx1 -v | tr -d ' \n')"; }

# Requests (version 1 unless said), in hex.
req_status() { pb_int 1 "${1:-1}"; pb_bytes 5 ""; }
req_kick() { pb_int 1 "${1:-1}"; pb_bytes 4 ""; }
req_register() { pb_int 1 1; pb_bytes 2 "$(pb_str 1 "$1")"; }
# req_event VMID TYPE(0 creating, 1 created, 2 destroying, 3 destroyed)
req_event() { pb_int 1 1; pb_bytes 3 "$(pb_str 1 "$1"; pb_int 2 "$2")"; }

# frame HEX: the 4-byte length, then the bytes, on stdout
frame() {
	printf '%b' "$(printf '%08x%s' $(( ${#1} / 2 )) "$1" | sed 's/../\\x&/g')"
}

# repeat K FILE: FILE's contents 2^K times, on stdout
repeat() {
	local k
	cp "$2" "$2.rep"
	for ((k = 0; k < $1; k++)); do
		cat "$2.rep" "$2.rep" > "$2.rep2"
		mv "$2.rep2" "$2.rep"
	done
	cat "$2.rep"
	rm -f "$2.rep"
}

# ctl ARGS...: ksm-throttlerctl on the test's socket
ctl() { "$KTCTL" -s "$SOCK" "$@"; }
# st JQ-FILTER: one value from status --json
st() { ctl status --json | jq -r "$1"; }
# st_is JQ-FILTER VALUE: for wait_for
st_is() { [ "$(st "$1")" = "$2" ]; }
