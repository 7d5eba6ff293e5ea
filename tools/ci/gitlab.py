#!/usr/bin/env python3
"""membudget on GitLab CI: JUnit and metrics reports, and one merge request
note kept up to date.  Standard library only; the only network it uses is
GitLab's REST API ($CI_API_V4_URL).  docs/ci/gitlab-ci.yml runs it.

    gitlab.py run --budgets B.toml [B2.toml ...] [--elf ELF] [--map MAP]
                  [--base SNAPSHOT|DIR] [--base-ref auto|REV]
                  [--gate absolute|new-only|ratchet] [--override-from FILE]
                  [--out DIR]

It computes into DIR as the GitHub script does (tools/ci/common.py), plus
junit.xml (check --format junit: GitLab's test report) and metrics.txt
(report --format openmetrics: its metrics report); prints the verdict;
and in a merge request pipeline, with a token in $MEMBUDGET_GITLAB_TOKEN
(a project access token with the api scope: CI_JOB_TOKEN cannot write
notes), creates or updates the one note holding `<!-- membudget -->`,
only creating it when sizes changed.  The merge request's description and
the head commit's message are read for Membudget-Override lines.

Exit status: the size verdict (0 within, 1 over), 2 on bad input, one line
`membudget: <file>: <what>`.  An API error is one line saying the note was
not posted; the verdict and status stand.
"""

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - tools/ci/ is on the path now
from common import ApiError, Failure  # noqa: E402


def note(message):
    print(f"membudget: {message}", file=sys.stderr)


def forge(api_url, project, iid, token):
    api = common.Api(api_url, {"PRIVATE-TOKEN": token, "User-Agent": "membudget"},
                     "gitlab")
    notes = f"/projects/{quote(str(project), safe='')}/merge_requests/{iid}/notes"
    return common.Forge(api, notes, notes, notes + "/{id}", "PUT")


def run(args):
    iid = os.environ.get("CI_MERGE_REQUEST_IID", "")
    if iid and not iid.isdigit():
        raise Failure("CI_MERGE_REQUEST_IID", f"'{iid}': not a merge request number")
    text = "\n".join((os.environ.get("CI_MERGE_REQUEST_DESCRIPTION", ""),
                      os.environ.get("CI_COMMIT_MESSAGE") or common.head_message()))
    result = common.compute(args.out, args.budgets, args.elf, args.map, args.base,
                            args.base_ref, args.gate, args.override_from, text,
                            junit=True, metrics=True)
    print((Path(args.out) / "summary.md").read_text(encoding="utf-8"))
    token = os.environ.get("MEMBUDGET_GITLAB_TOKEN", "")
    if result.comment is None:
        note("no base to compare with: no note")
    elif not iid:
        note("not a merge request pipeline: no note")
    elif not token:
        note("no MEMBUDGET_GITLAB_TOKEN: no note")
    else:
        where = forge(os.environ.get("CI_API_V4_URL", "https://gitlab.com/api/v4"),
                      os.environ.get("CI_PROJECT_ID", ""), iid, token)
        try:
            action, url = common.sync_comment(where, result.comment, result.changed)
            note(f"no size change: no note on !{iid}" if action == "skipped"
                 else f"note {action} on !{iid}: {url}")
        except ApiError as err:
            note(f"gitlab: note not posted: {err}")
    print(f"membudget: {result.verdict}")
    return result.status


def main(argv=None):
    p = argparse.ArgumentParser(prog="gitlab.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run", help="check and diff, reports, merge request note")
    r.add_argument("--budgets", nargs="+", required=True, metavar="FILE")
    r.add_argument("--elf")
    r.add_argument("--map")
    r.add_argument("--base")
    r.add_argument("--base-ref", default="auto")
    r.add_argument("--gate", default="absolute", choices=common.GATES)
    r.add_argument("--override-from", action="append", default=[], metavar="FILE")
    r.add_argument("--out", default="membudget-out")
    args = p.parse_args(argv)
    for key in ("elf", "map", "base"):
        if getattr(args, key) == "":
            setattr(args, key, None)
    try:
        return run(args)
    except Failure as err:
        print(common.failure_line(err), file=sys.stderr)
        return common.EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
