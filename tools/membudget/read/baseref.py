"""Find the base snapshot of a change: the one made at its merge-base.

`diff --base-dir DIR --base-ref REF` compares HEAD with DIR/<commit>.json,
where <commit> is `git merge-base HEAD <upstream>`: the commit the change
branched from, not the base branch's tip, which may hold other changes
since.  REF names the upstream; `auto` takes the merge-base GitLab
computed ($CI_MERGE_REQUEST_DIFF_BASE_SHA) when there is one, else the
upstream from the CI's environment (GitHub's GITHUB_BASE_REF, GitLab's
CI_MERGE_REQUEST_TARGET_BRANCH_NAME, as origin/<branch>), else the
branch's @{upstream}, else origin/HEAD, origin/main, main, origin/master,
master: the first that exists.  The
snapshots are made once per commit of the base branch (`membudget
snapshot ... -o DIR/<commit>.json`), so a base is never rebuilt.
"""

import os
import re
import subprocess

from ..model import InputError

AUTO = "auto"
#: Environment variables naming a pull/merge request's target branch
TARGET_VARIABLES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
#: A merge-base the CI computed already (GitLab merge request pipelines)
MERGE_BASE_VARIABLE = "CI_MERGE_REQUEST_DIFF_BASE_SHA"
FALLBACK_UPSTREAMS = ("@{upstream}", "origin/HEAD", "origin/main", "main",
                      "origin/master", "master")


def _git(repo, *args):
    """(status, stdout stripped) of a git command in repo; git missing: InputError."""
    try:
        proc = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
    except OSError as err:
        raise InputError("git", err.strerror or str(err)) from None
    return proc.returncode, proc.stdout.strip()


def _commit(repo, rev):
    status, out = _git(repo, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
    return out if status == 0 and out else None


def candidates(ref, environ=None):
    """Upstream revisions to try, in order, for --base-ref ref."""
    if ref != AUTO:
        return [ref]
    environ = os.environ if environ is None else environ
    found = []
    for variable in TARGET_VARIABLES:
        branch = environ.get(variable, "").strip()
        if branch:
            found += [f"origin/{branch}", branch]
    return found + list(FALLBACK_UPSTREAMS)


def merge_base(ref=AUTO, repo=".", environ=None):
    """(merge-base commit, upstream used) of HEAD and ref's upstream."""
    environ = os.environ if environ is None else environ
    given = environ.get(MERGE_BASE_VARIABLE, "").strip()
    if ref == AUTO and given:
        if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", given):
            raise InputError(MERGE_BASE_VARIABLE, f"'{given}': not a commit id")
        return given, f"the merge request's target (${MERGE_BASE_VARIABLE})"
    if _commit(repo, "HEAD") is None:
        raise InputError(repo, "not a git repository with a HEAD commit "
                         "(--base-ref needs one)")
    tried = candidates(ref, environ)
    for upstream in tried:
        if _commit(repo, upstream) is None:
            continue
        status, out = _git(repo, "merge-base", "HEAD", upstream)
        if status == 0 and out:
            return out, upstream
        raise InputError(repo, f"HEAD and {upstream} have no common ancestor "
                         "(a shallow clone? fetch with fetch-depth: 0)")
    raise InputError(repo, f"--base-ref {ref}: no such revision (tried "
                     f"{', '.join(tried)})")


def snapshot_path(base_dir, ref=AUTO, repo=".", environ=None):
    """(path of the merge-base's snapshot in base_dir, commit, upstream)."""
    if not os.path.isdir(base_dir):
        raise InputError(base_dir, "--base-dir: not a directory")
    commit, upstream = merge_base(ref, repo, environ)
    path = os.path.join(base_dir, commit + ".json")
    if not os.path.isfile(path):
        raise InputError(base_dir, f"no snapshot of the merge-base {commit[:12]} "
                         f"(of HEAD and {upstream}): expected {commit}.json; "
                         "make it with `membudget snapshot ... -o "
                         f"{os.path.join(base_dir, commit)}.json` at that commit")
    return path, commit, upstream
