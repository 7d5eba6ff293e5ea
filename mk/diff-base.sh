#!/bin/sh
# `make diff BASE=<git-rev>`: build the firmware at <git-rev> in a temporary
# git worktree under BUILD, snapshot it with that revision's own budgets
# file and map, then diff the working tree's build against it.  The
# worktree is removed however the script ends.
#
# Usage: mk/diff-base.sh REV PYTHON BUILD [membudget diff options...]
# Exit: membudget diff's status (0, 1 creep exceeded), 2 on a bad REV or a
# base that does not build.

set -u
rev=$1 python=$2 build=$3
shift 3

if ! commit=$(git rev-parse --verify -q "$rev^{commit}"); then
	echo "make diff: BASE=$rev: not a commit of this repository" >&2
	exit 2
fi
mkdir -p "$build"
worktree=$build/diff-base.$$
log=$build/diff-base.log
snapshot=$build/diff-base.json

cleanup() {
	git worktree remove --force "$worktree" 2>/dev/null || rm -rf "$worktree"
	git worktree prune
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

if ! git worktree add --detach -q "$worktree" "$commit" >"$log" 2>&1; then
	echo "make diff: cannot check out $rev; see $log" >&2
	exit 2
fi
echo "  BUILD   firmware at $rev (${commit%${commit#????????????}})"
# Its own build/ (a BUILD given to this make would leak in through MAKEFLAGS)
if ! make -C "$worktree" --no-print-directory BUILD=build firmware >>"$log" 2>&1; then
	echo "make diff: building the firmware at $rev failed; see $log" >&2
	exit 2
fi

# The base is attributed with its own budgets file, when it has one
budgets=
if [ -f "$worktree/budgets/firmware.toml" ]; then
	budgets="-b $worktree/budgets/firmware.toml"
fi
map=
if [ -f "$worktree/build/firmware.map" ]; then
	map="--map $worktree/build/firmware.map"
fi
# shellcheck disable=SC2086
"$python" tools/membudget snapshot "$worktree/build/firmware.elf" $budgets $map \
	-o "$snapshot" || exit 2
"$python" tools/membudget diff "$snapshot" "$build/firmware.elf" \
	-b budgets/firmware.toml --head-map "$build/firmware.map" "$@"
