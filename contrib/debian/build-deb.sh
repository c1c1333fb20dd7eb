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
# KT_DEB_VERSION=0.1.0-2 builds the same source as that version, with an
# entry of its own on top of the changelog: an upgrade to install over
# the committed version (tests/systemd/package.sh).  Its upstream part
# must be configure.ac's.
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
if [ -n "${KT_DEB_VERSION:-}" ]; then
	case $KT_DEB_VERSION in
	"$version"-?*) ;;
	*) echo "build-deb.sh: KT_DEB_VERSION=$KT_DEB_VERSION is not $version-REVISION" >&2
	   exit 1 ;;
	esac
	cl="$tmp/ksm-throttler-$version/debian/changelog"
	who=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$cl" | head -n 1)
	{ printf 'ksm-throttler (%s) unstable; urgency=medium\n\n' "$KT_DEB_VERSION"
	  printf '  * Rebuilt as %s.\n\n -- %s  %s\n\n' "$KT_DEB_VERSION" \
	      "$who" "$(LC_ALL=C date -R)"
	  cat "$cl"; } > "$cl.new"
	mv "$cl.new" "$cl"
fi
cd "$tmp/ksm-throttler-$version"
dpkg-buildpackage -us -uc -b
cp ../*.deb ../*.buildinfo ../*.changes "$out/"
ls "$out"/ksm-throttler_*.deb
