# SPDX-License-Identifier: Apache-2.0
# Sourced: Debian's kernel for guests booted under qemu, and the pieces
# of a busybox initramfs.  tests/vm/run.sh and tests/kernel/libvirt.sh
# use it.  Needs CACHE (where the kernel package is unpacked); sets
# VMLINUZ, KVER, MODDIR (find_kernel) or WHY on failure.

# use_kernel VMLINUZ: boot this image, with modules from
# ../lib/modules/VERSION beside it when there are any.
use_kernel() {
	VMLINUZ=$1
	KVER=${1##*/vmlinuz-}
	MODDIR=$(dirname "$1")/../lib/modules/$KVER
	[ -f "$MODDIR/modules.dep" ] || MODDIR=
	[ -r "$VMLINUZ" ]
}

# find_kernel: Debian's kernel, from the installed linux-image-amd64 when
# there is one, else unpacked from its package into $CACHE without
# installing it (nothing in /boot, no bootloader hooks).  Sets VMLINUZ,
# KVER, MODDIR; on failure sets WHY.
find_kernel() {
	local pkg dir tmp

	if [ -n "${KT_VM_KERNEL:-}" ]; then
		use_kernel "$KT_VM_KERNEL" && return 0
		WHY="KT_VM_KERNEL=$KT_VM_KERNEL is not readable"
		return 1
	fi
	pkg=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
	    grep -o 'linux-image-[^ ,]*')
	if [ -n "$pkg" ] && [ -e "/boot/vmlinuz-${pkg#linux-image-}" ]; then
		use_kernel "/boot/vmlinuz-${pkg#linux-image-}" && return 0
	fi
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	    sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -qq >/dev/null 2>&1
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		    sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
	fi
	if [ -z "$pkg" ]; then
		# No package lists: whatever was unpacked before will do.
		dir=$(ls -d "$CACHE"/linux-image-* 2>/dev/null | sort -V | tail -n 1)
		[ -n "$dir" ] && use_kernel "$(ls "$dir"/boot/vmlinuz-* | head -n 1)" &&
		    return 0
		WHY="no Debian kernel: apt-cache knows no linux-image-amd64 (apt-get update?); or set KT_VM_KERNEL"
		return 1
	fi
	dir=$CACHE/$pkg
	mkdir -p "$CACHE" && exec 8>"$CACHE/.lock" ||
	    { WHY="cannot write $CACHE"; return 1; }
	flock 8	# one download at a time
	if [ ! -f "$dir/.complete" ]; then
		echo "vm: fetching $pkg into $dir"
		rm -rf "$dir" && mkdir -p "$dir" && tmp=$(mktemp -d "$CACHE/dl.XXXXXX") ||
		    { WHY="cannot write $CACHE"; return 1; }
		if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
		    ! dpkg-deb -x "$tmp"/"$pkg"_*.deb "$dir"; then
			rm -rf "$tmp" "$dir"
			WHY="cannot download and unpack $pkg (apt-get download $pkg); or set KT_VM_KERNEL"
			return 1
		fi
		rm -rf "$tmp"
		# The package leaves modules.dep to depmod at install time.
		busybox depmod -b "$dir" "${pkg#linux-image-}" &&
		    touch "$dir/.complete"
		# Kernels Debian has since replaced take 400 MB each.
		for tmp in "$CACHE"/linux-image-*; do
			[ "$tmp" = "$dir" ] || rm -rf "$tmp"
		done
	fi
	exec 8>&-
	use_kernel "$dir/boot/vmlinuz-${pkg#linux-image-}" && return 0
	WHY="no readable $dir/boot/vmlinuz-${pkg#linux-image-}"
	return 1
}

is_elf() { [ "$(od -An -c -N4 "$1" 2>/dev/null | tr -d ' ')" = '177ELF' ]; }

# add_elf FILE DEST: FILE at DEST in the initramfs, with the shared
# libraries and the dynamic loader it needs at their own paths.
add_elf() {
	local lib

	mkdir -p "$R$(dirname "$2")" && cp -L "$1" "$R$2" || return 1
	for lib in $(ldd "$1" 2>/dev/null |
	    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		[ -e "$R$lib" ] && continue
		mkdir -p "$R$(dirname "$lib")" && cp -L "$lib" "$R$lib" || return 1
	done
}

