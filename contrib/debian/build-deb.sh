#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# contrib/debian/build-deb.sh [OUTDIR]: build the ksm-throttler .deb.
# dpkg-buildpackage wants debian/ at the top of the source tree, and this
# tree keeps it under contrib/; so a copy of the tree is made in a
# temporary directory, with contrib/debian as its debian/, and built
# there with `dpkg-buildpackage -us -uc -b`.  The .deb, .buildinfo and
# .changes land in OUTDIR (default: the current directory).
# Needs dpkg-dev, debhelper and the Build-Depends of contrib/debian/control
# (`contrib/build.sh deps` installs them).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ksm-throttler-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^AC_INIT(\[[^]]*\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
upstream=$(sed -n '1s/^[^(]*(\([^-)]*\).*/\1/p' "$src/contrib/debian/changelog")
if [ "$version" != "$upstream" ]; then
	echo "build-deb.sh: configure.ac says $version, contrib/debian/changelog $upstream" >&2
	exit 1
fi

mkdir "$tmp/ksm-throttler-$version"
# The source as committed or being edited, without build trees or VCS.
tar -C "$src" --exclude=.git --exclude='./_build*' --exclude=node_modules \
    --exclude='./ksm-throttler-*' --exclude=autom4te.cache -cf - . |
    tar -C "$tmp/ksm-throttler-$version" -xf -
cp -R "$src/contrib/debian" "$tmp/ksm-throttler-$version/debian"
rm -f "$tmp/ksm-throttler-$version/debian/build-deb.sh"
cd "$tmp/ksm-throttler-$version"
dpkg-buildpackage -us -uc -b
cp ../*.deb ../*.buildinfo ../*.changes "$out/"
ls "$out"/ksm-throttler_*.deb
