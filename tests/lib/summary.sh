#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# summary.sh BUILDDIR...: one closing line over automake's test logs
# (and the fuzz targets', which tests/fuzz/run.sh writes in their shape),
# "N passed, N failed, N skipped", naming what failed or was skipped,
# with the end of each failed test's log, so that a CI record says why.
pass=0 fail=0 skip=0
for dir in "$@"; do
	for f in $(find "$dir" -name '*.trs' -not -path '*/ksm-throttler-*/*'); do
		case $(sed -n 's/^:test-result: //p' "$f") in
		PASS|XFAIL) pass=$((pass + 1)) ;;
		SKIP) skip=$((skip + 1))
		      echo "  skipped: ${f%.trs}: $(grep -m1 '^SKIP: ' "${f%.trs}.log" | cut -c7-)" ;;
		*) fail=$((fail + 1)); echo "  failed: ${f%.trs}"
		   tail -n 30 "${f%.trs}.log" 2>/dev/null | sed 's/^/    | /' ;;
		esac
	done
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
