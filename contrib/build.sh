#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# contrib/build.sh run|test|deps|build
#   deps   install what a fresh Debian 12 lacks to build and test
#   build  install what it lacks to build, then configure and build in _build/
#   run    build, then run ksm-throttlerd in the foreground on its defaults
#   test   deps, build, then run every test layer and print one summary line
set -eu
cd "$(dirname "$0")/.."
top=$PWD

# What the build uses, by Debian package name: all a host that only builds
# and runs the daemon gets.
BUILD_PKGS="build-essential autoconf automake libtool pkg-config
libevent-dev libprotobuf-c-dev protobuf-c-compiler libcjson-dev
libsystemd-dev libvirt-dev bash-completion"
# And what the tests use besides (services among them: prometheus,
# libvirtd), for a machine that tests.
TEST_PKGS="libcmocka-dev util-linux procps curl prometheus qemu-system-x86
busybox-static clang jq libclang-rt-14-dev systemd mandoc dpkg-dev debhelper
libcap2-bin valgrind debootstrap systemd-container strace libvirt-daemon
libvirt-daemon-driver-qemu libvirt-clients"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# need PACKAGE...: install those not installed yet.
need() {
	local missing= p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] || install_pkgs $missing
}

deps() {
	need $BUILD_PKGS $TEST_PKGS || return 1
	k8s_validator
}

# Packages with services (prometheus) must not start them here.  (libvirt's
# daemon packages have no maintainer scripts that need systemd.)
install_pkgs() {
	echo "installing: $*"
	as_root apt-get update -qq
	local guard=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
		as_root chmod +x /usr/sbin/policy-rc.d
		guard=1
	fi
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq \
	    --no-install-recommends "$@" >/dev/null || { [ -n "$guard" ] && as_root rm -f /usr/sbin/policy-rc.d; return 1; }
	[ -n "$guard" ] && as_root rm -f /usr/sbin/policy-rc.d
	return 0
}

# The Kubernetes manifests' schema validator (contrib/kubernetes/package.json)
# where tests/integration/k8s-schema.sh looks for it, with Debian's Node.js
# and npm where there is no npm yet (not in TEST_PKGS: a Node.js from elsewhere
# brings its own npm and conflicts with Debian's).  Without npm that test
# skips, saying so.
k8s_validator() {
	local dir=${KT_K8S_TOOLS:-${HOME:-/root}/.cache/ksm-throttler/k8s-validate}
	command -v npm >/dev/null || install_pkgs nodejs npm ||
	    echo "no npm: the Kubernetes schema test will skip"
	command -v npm >/dev/null || return 0
	cmp -s contrib/kubernetes/package.json "$dir/package.json" &&
	    [ -d "$dir/node_modules/kubernetes-models" ] && return 0
	echo "installing the Kubernetes schema validator in $dir"
	mkdir -p "$dir" && cp contrib/kubernetes/package.json "$dir/" &&
	    (cd "$dir" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) ||
	    echo "npm install failed: the Kubernetes schema test will skip"
}

build() {
	need $BUILD_PKGS
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
	deps
	build
	cd _build
	rc=0
	make -j"$(nproc)" check || rc=$?
	# A real libvirtd (started by hand, not as a service) and three QEMU
	# guests through the libvirt input.
	make check-libvirt || rc=$?
	# Guest scripts in one boot of Debian's kernel under qemu TCG.
	make check-vm || rc=$?
	# The Debian package built, installed, started and purged.
	make check-package || rc=$?
	# The package under a real systemd booted in a container.
	make check-systemd || rc=$?

	# ---- ASan, UBSan and LeakSanitizer: the whole of make check again,
	# built with --enable-asan in a tree of its own.  A report from any
	# program a test runs fails that test (tests/lib/lib.sh, kt_checkers).
	mkdir -p "$top/_build-asan" && cd "$top/_build-asan"
	[ -f Makefile ] || ../configure -q --enable-asan
	make -j"$(nproc)" >/dev/null && make -j"$(nproc)" check || rc=$?

	# ---- valgrind: the integration tests with every run of the daemon and
	# the client under memcheck; an error or a leak fails the test.  A
	# plain build in a tree of its own, so that make check's results stay.
	mkdir -p "$top/_build-valgrind" && cd "$top/_build-valgrind"
	[ -f Makefile ] || ../configure -q
	make -j"$(nproc)" >/dev/null && make -j"$(nproc)" check-valgrind || rc=$?

	cd "$top/_build"
	make distcheck TESTS='$(UNIT_TESTS) $(INTEGRATION_TESTS)' >distcheck.log 2>&1 ||
	    { rc=1; echo "make distcheck failed: see _build/distcheck.log"; tail -30 distcheck.log; }
	# ---- fuzzing --------------------------------------------------
	# Every libFuzzer target (tests/fuzz/fuzz-*.c) for 60 s under
	# ASan+UBSan, nproc at once: about a minute per two targets.  Each
	# leaves a .trs in _build/fuzz/ that the summary counts; a crash
	# fails with its input's path and the first lines of the error.
	make fuzz FUZZ_SECONDS=60 || rc=1
	"$top/tests/lib/summary.sh" "$top/_build" "$top/_build-asan" \
	    "$top/_build-valgrind" || rc=1
	exit $rc
	;;
*)
	echo "usage: contrib/build.sh run|test|deps|build" >&2
	exit 1
	;;
esac
