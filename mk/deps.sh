#!/bin/sh
# Install what the build (`mk/deps.sh`, for `make`) or the tests
# (`mk/deps.sh test`, for `make test`) need, if missing.  As root this runs
# apt-get; otherwise it prints the command and fails, so a fresh machine
# never half-builds with a missing tool.  `test` also installs the npm
# tools the tests use into build/npm (ACTION_VALIDATOR below), from the
# npm registry, once.
set -u

# The main job: the firmware's compiler and binutils, and a Python 3.11+
# for membudget (standard library, and Python.h for its compiled part)
packages="make gcc gcc-multilib binutils python3 python3-dev"
if [ "${1:-}" = test ]; then
	# The tests: C unit tests (libcmocka-dev:i386, multiarch, runs them as
	# i386 programs too), the tools' oracles (pyelftools, binutils cross
	# toolchains, prometheus-client for OpenMetrics, yaml for the CI
	# files), the packaging test (venv, pip, setuptools, wheel), QEMU,
	# fuzzing, valgrind, the browser tests, the npm tools
	packages="$packages g++ libcmocka-dev libcmocka-dev:i386 python3-pyelftools
python3-pytest python3-hypothesis python3-venv python3-pip python3-setuptools
python3-wheel python3-prometheus-client python3-yaml qemu-system-x86 clang
libclang-rt-14-dev valgrind gcc-arm-none-eabi gcc-riscv64-unknown-elf chromium
fonts-dejavu-core"
	# nodejs from elsewhere (NodeSource) brings its own npm
	command -v npm >/dev/null 2>&1 || packages="$packages npm"
fi

missing=""
for pkg in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done

if [ -n "$missing" ]; then
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
fi
[ "${1:-}" = test ] || exit 0

# action-validator checks action.yml and the example workflows against
# GitHub's schemas (tests/tools/test_github_action.py); pinned, installed once
ACTION_VALIDATOR="@action-validator/cli@0.6.0"
npm_dir=build/npm
if [ ! -x "$npm_dir/node_modules/.bin/action-validator" ]; then
	echo "deps: npm install $ACTION_VALIDATOR into $npm_dir"
	mkdir -p "$npm_dir"
	if ! npm install --prefix "$npm_dir" --no-audit --no-fund --silent \
			"$ACTION_VALIDATOR" >"$npm_dir/install.log" 2>&1; then
		# Not fatal: the validation test skips, saying why
		echo "deps: npm install $ACTION_VALIDATOR failed (see $npm_dir/install.log)" >&2
	fi
fi
exit 0
