#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# contrib/kubernetes/*.yaml pass the Kubernetes OpenAPI schema with strict
# field validation, offline: contrib/kubernetes/validate.mjs, with the npm
# packages of contrib/kubernetes/package.json installed in
# $KT_K8S_TOOLS (default ~/.cache/ksm-throttler/k8s-validate; `contrib/build.sh
# deps` installs them there).  Skips when node or the packages are missing.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
TOOLS=${KT_K8S_TOOLS:-${HOME:-/root}/.cache/ksm-throttler/k8s-validate}
K="$top_srcdir/contrib/kubernetes"
command -v node >/dev/null || skip "node is not installed (Debian: nodejs)"
for m in kubernetes-models typescript yaml; do
	[ -d "$TOOLS/node_modules/$m" ] ||
	    skip "$TOOLS/node_modules/$m is missing: contrib/build.sh deps installs the validator"
done

node "$K/validate.mjs" "$TOOLS" "$K"/*.yaml > "$T/out" 2>&1 ||
    { cat "$T/out" >&2; fail "the manifests do not validate"; }
ok "manifests valid: $(tail -1 "$T/out")"

# And the validator does catch what it is there for.
sed 's/hostPID: true/hostPid: true/' "$K/daemonset.yaml" > "$T/typo.yaml"
node "$K/validate.mjs" "$TOOLS" "$T/typo.yaml" > "$T/out" 2>&1 &&
    fail "a misspelt field passed validation"
grep -q hostPid "$T/out" || fail "the report does not name the misspelt field: $(cat "$T/out")"
sed 's/type: DirectoryOrCreate/type: DirOrCreate/' "$K/daemonset.yaml" > "$T/enum.yaml"
node "$K/validate.mjs" "$TOOLS" "$T/enum.yaml" > "$T/out" 2>&1 &&
    fail "a bad hostPath type passed validation"
ok "a misspelt field and a bad enum value are refused"
