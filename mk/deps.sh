#!/bin/sh
# Install the Debian packages the build and the tests need, if missing.
# As root this runs apt-get; otherwise it prints the command and fails,
# so a fresh machine never half-builds with a missing tool.
set -u

# libcmocka-dev:i386 (multiarch) runs the unit tests as i386 programs too
packages="make gcc gcc-multilib g++ binutils libcmocka-dev libcmocka-dev:i386 python3 python3-pyelftools
python3-pytest python3-hypothesis qemu-system-x86 clang libclang-rt-14-dev valgrind
gcc-arm-none-eabi gcc-riscv64-unknown-elf chromium fonts-dejavu-core"

missing=""
for pkg in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
# An i386 package needs the architecture enabled first
arch=""
case "$missing" in
*:i386*) dpkg --print-foreign-architectures | grep -qx i386 ||
	arch="dpkg --add-architecture i386" ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root: ${arch:+$arch && }apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing$missing"
[ -z "$arch" ] || $arch || exit 1
export DEBIAN_FRONTEND=noninteractive
# Package lists may be absent or stale on a fresh machine: refresh once
apt-get update -q >/dev/null || exit 1
$cmd -q >/dev/null || exit 1
