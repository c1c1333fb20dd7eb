#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ksm-throttler.json(5) documents every key of the configuration table
# (src/core/conf-table.c) with its default and, for integers, its range; and
# documents no key the table lacks.  A key added to the table without its
# man page entry fails here by name.
#
# The page's convention, for each key: an ".It Ic KEY ..." item whose text
# has a line "Default: VALUE." with VALUE spelt as `ksm-throttlerd -n`
# prints it, and for integers a line "Range: MIN to MAX.".
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
KEYS="$top_builddir/tests/lib/conf-keys"
MAN="$top_srcdir/man/ksm-throttler.json.5"
[ -x "$KEYS" ] || fail "$KEYS is not built"
"$KEYS" > "$T/keys" || fail "tests/lib/conf-keys failed"
[ -s "$T/keys" ] || fail "tests/lib/conf-keys listed no key"

# item KEY: the source of KEY's item, without the escapes that only steer
# hyphenation and spacing.
item() {
	awk -v k="$1" '
	    $1 == ".It" { on = ($2 == "Ic" && $3 == k); next }
	    /^\.(El|Sh|Ss)( |$)/ { on = 0 }
	    on' "$MAN" | sed 's/\\%//g; s/\\&//g'
}

: > "$T/problems"
n=0
while IFS=$'\t' read -r key type min max def choices; do
	n=$((n + 1))
	if ! grep -qE "^\.It Ic ${key//./\\.}( |$)" "$MAN"; then
		want="'Default: $def.'"
		[ "$type" = integer ] && want="$want and 'Range: $min to $max.'"
		echo "$key: missing from man/ksm-throttler.json.5 (add an '.It Ic $key' item with $want)" >> "$T/problems"
		continue
	fi
	item "$key" > "$T/item"
	grep -qxF "Default: $def." "$T/item" ||
	    echo "$key: man page lacks the line 'Default: $def.' (it has: $(grep '^Default:' "$T/item" || echo nothing))" >> "$T/problems"
	if [ "$type" = integer ]; then
		grep -qxF "Range: $min to $max." "$T/item" ||
		    echo "$key: man page lacks the line 'Range: $min to $max.' (it has: $(grep '^Range:' "$T/item" || echo nothing))" >> "$T/problems"
	fi
	if [ -n "$choices" ]; then
		for c in ${choices//,/ }; do
			grep -qw -- "$c" "$T/item" ||
			    echo "$key: man page does not name the choice '$c'" >> "$T/problems"
		done
	fi
done < "$T/keys"

# And the other way round: no entry for a key that is gone.
cut -f1 "$T/keys" | sort > "$T/table"
awk '$1 == ".It" && $2 == "Ic" { print $3 }' "$MAN" | sort > "$T/documented"
comm -13 "$T/table" "$T/documented" | while read -r key; do
	echo "$key: documented in man/ksm-throttler.json.5 but not in src/core/conf-table.c" >> "$T/problems"
done

if [ -s "$T/problems" ]; then
	cat "$T/problems" >&2
	fail "ksm-throttler.json(5) is out of step with the configuration table ($(wc -l < "$T/problems") problems above)"
fi
ok "all $n keys documented with their defaults and ranges"
