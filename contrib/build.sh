#!/bin/bash
# contrib/build.sh run|test|deps|build
#   deps   install what a fresh Debian 12 lacks to build and test
#   build  deps, then configure and build in _build/
#   run    build, then run ksm-throttlerd in the foreground on its defaults
#   test   build, then run every test layer and print one summary line
set -eu
cd "$(dirname "$0")/.."
top=$PWD

# Everything the build and the tests use, by Debian package name.
PKGS="build-essential autoconf automake libtool pkg-config
libevent-dev libprotobuf-c-dev protobuf-c-compiler libcjson-dev libcmocka-dev
util-linux procps curl prometheus qemu-system-x86 busybox-static clang jq"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

deps() {
	local missing=
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "installing:$missing"
	as_root apt-get update -qq
	# Packages with services (prometheus) must not start them here.
	local guard=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
		as_root chmod +x /usr/sbin/policy-rc.d
		guard=1
	fi
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null || { [ -n "$guard" ] && as_root rm -f /usr/sbin/policy-rc.d; return 1; }
	[ -n "$guard" ] && as_root rm -f /usr/sbin/policy-rc.d
	return 0
}

build() {
	deps
	[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
	mkdir -p _build
	cd _build
	[ -f Makefile ] || ../configure ${CONFIGURE_FLAGS:-}
	make -j"$(nproc)"
	cd "$top"
}

case "${1:-}" in
deps) deps ;;
build) build ;;
run)
	build
	shift
	exec _build/src/ksm-throttlerd -f "$@"
	;;
test)
	build
	cd _build
	rc=0
	make -j"$(nproc)" check || rc=$?
	# Guest scripts in one boot of Debian's kernel under qemu TCG.
	make check-vm || rc=$?
	# The same unit tests again under ASan+UBSan, in their own tree.
	mkdir -p "$top/_build-asan" && cd "$top/_build-asan"
	[ -f Makefile ] || ../configure -q --enable-asan
	make -j"$(nproc)" check-unit >/dev/null 2>&1 || { rc=1; echo "ASan unit tests failed"; }
	cd "$top/_build"
	make distcheck TESTS='$(UNIT_TESTS) $(INTEGRATION_TESTS)' >distcheck.log 2>&1 ||
	    { rc=1; echo "make distcheck failed: see _build/distcheck.log"; tail -30 distcheck.log; }
	"$top/tests/summary.sh" "$top/_build" "$top/_build-asan" || rc=1
	exit $rc
	;;
*)
	echo "usage: contrib/build.sh run|test|deps|build" >&2
	exit 1
	;;
esac
