#!/usr/bin/env python3
"""membudget on GitHub Actions: check, diff, job summary, annotations, and
one sticky pull-request comment.  Standard library only; the only network
it uses is GitHub's REST API ($GITHUB_API_URL).  action.yml runs it.

    github.py run --budgets B.toml [B2.toml ...] [--elf ELF] [--map MAP]
                  [--base SNAPSHOT|DIR] [--base-ref auto|REV]
                  [--gate absolute|new-only|ratchet] [--override-from FILE]
                  [--out DIR] [--comment auto|never]
    github.py post DIR          (in a workflow_run workflow: a fork's comment)

`run` computes into DIR (default membudget-out; common.py lists the
files), appends the summary to $GITHUB_STEP_SUMMARY, prints at most 10
::error annotations (the rest counted in one ::notice), writes status,
verdict, changed, comment-url and dir to $GITHUB_OUTPUT, and, on a pull
request from this repository with a token ($GITHUB_TOKEN), creates or
updates the one comment holding `<!-- membudget -->`: created only when
sizes changed, updated when they did or when it says something else now.
A pull request from a fork gets the summary alone: its token cannot
comment.  The workflow_run workflow it triggers runs `post DIR` on the
uploaded DIR, with a token that can, after checking that the pull request's
head is the commit DIR was computed for (docs/ci/github.md).

Exit status: the size verdict (0 within, 1 over), 2 on bad input, one line
`membudget: <file>: <what>`.  An API error is one line saying the comment
was not posted; the summary, annotations, outputs and status still come.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - tools/ci/ is on the path now
from common import ApiError, Failure  # noqa: E402

PR_EVENTS = ("pull_request", "pull_request_target")
DEFAULT_API = "https://api.github.com"
SETUP = "docs/ci/github.md"


def note(message):
    print(f"membudget: {message}", file=sys.stderr)


def _token():
    return os.environ.get("MEMBUDGET_GITHUB_TOKEN") or os.environ.get("GITHUB_TOKEN") or ""


def _event():
    """(event name, event JSON or {}) of this workflow run."""
    name = os.environ.get("GITHUB_EVENT_NAME", "")
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return name, {}
    event = common.load_json(path, "event")
    if not isinstance(event, dict):
        raise Failure(path, "not a GitHub event (expected a JSON object)")
    return name, event


def pull_request(name, event):
    """The event's pull request, or None for another event (push, schedule)."""
    if name not in PR_EVENTS:
        return None
    pr = event.get("pull_request")
    if not isinstance(pr, dict) or not isinstance(pr.get("number"), int):
        raise Failure(os.environ.get("GITHUB_EVENT_PATH", "event"),
                      f"not a pull request event: no pull_request.number (event {name})")
    return pr


def is_fork(pr, repository):
    head = (pr.get("head") or {}).get("repo")
    base = ((pr.get("base") or {}).get("repo") or {}).get("full_name") or repository
    return not isinstance(head, dict) or head.get("full_name") != base


def forge(repository, number):
    api = common.Api(os.environ.get("GITHUB_API_URL") or DEFAULT_API, {
        "Authorization": f"Bearer {_token()}", "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "membudget"}, "github")
    issue = f"/repos/{repository}/issues"
    return common.Forge(api, f"{issue}/{number}/comments", f"{issue}/{number}/comments",
                        f"{issue}/comments/{{id}}", "PATCH")


def post(repository, number, body, changed):
    """Sync the sticky comment; its URL, or None.  API errors: one line."""
    try:
        action, url = common.sync_comment(forge(repository, number), body, changed)
    except ApiError as err:
        note(f"github: comment not posted: {err}")
        return None
    if action == "skipped":
        note(f"no size change: no comment on #{number}")
    else:
        note(f"comment {action} on #{number}: {url}")
    return url


def run(args):
    name, event = _event()
    pr = pull_request(name, event)
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    text = ((pr or {}).get("body") or "") + "\n" + common.head_message()
    result = common.compute(args.out, args.budgets, args.elf, args.map, args.base,
                            args.base_ref, args.gate, args.override_from, text)
    common.append(os.environ.get("GITHUB_STEP_SUMMARY"), result.summary)
    for line in common.cap_annotations(result.errors, result.notices):
        print(line)
    url = None
    if args.comment == "never":
        pass
    elif result.comment is None:
        note("no base to compare with: summary only, no comment")
    elif pr is None:
        note(f"{name or 'no'} event, not a pull request: summary only")
    elif is_fork(pr, repository):
        note(f"pull request #{pr['number']} comes from a fork: summary only "
             f"(a workflow_run workflow posts its comment: {SETUP})")
    elif not _token():
        note("no token: summary only")
    else:
        url = post(repository, pr["number"], result.comment, result.changed)
    info = result.result(pull_request=(pr or {}).get("number"),
                         head_sha=((pr or {}).get("head") or {}).get("sha"),
                         repository=repository)
    (Path(args.out) / "result.json").write_text(json.dumps(info, indent=1) + "\n")
    common.append(os.environ.get("GITHUB_OUTPUT"), common.output_lines({
        "status": result.status, "verdict": result.verdict,
        "changed": "" if result.changed is None else str(result.changed).lower(),
        "comment-url": url, "dir": args.out}))
    print(f"membudget: {result.verdict}")
    return result.status


def post_from(args):
    """The workflow_run half: post DIR's comment on the pull request it was made for."""
    name, event = _event()
    where = os.environ.get("GITHUB_EVENT_PATH", "event")
    run_info = event.get("workflow_run") if isinstance(event, dict) else None
    if name != "workflow_run" or not isinstance(run_info, dict) \
            or run_info.get("event") not in PR_EVENTS:
        raise Failure(where, "not a pull request's workflow_run event (event "
                      f"{name or 'unknown'}"
                      + (f", run by {run_info.get('event')}" if isinstance(run_info, dict)
                         else "") + ")")
    directory = Path(args.dir)
    info = common.load_json(directory / "result.json", "result")
    number = info.get("pull_request") if isinstance(info, dict) else None
    if not isinstance(number, int):
        raise Failure(directory / "result.json", "no pull request number: the run was "
                      "not for a pull request")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    body = common._read(directory / "comment.md")
    if not body.startswith(common.MARKER):
        raise Failure(directory / "comment.md", "missing, or not a membudget comment")
    verdict = str(info.get("verdict", ""))
    common.append(os.environ.get("GITHUB_STEP_SUMMARY"),
                  f"## membudget\n\n{verdict}\n\n(comment for #{number})\n")
    print(f"membudget: #{number}: {verdict}")
    if not _token():
        note("no token: nothing posted")
        return 0
    try:
        pr, _ = forge(repository, number).api.call("GET", f"/repos/{repository}/pulls/{number}")
    except ApiError as err:
        note(f"github: comment not posted: {err}")
        return 0
    head = ((pr or {}).get("head") or {}).get("sha")
    if head != run_info.get("head_sha"):
        raise Failure(directory / "result.json", f"pull request #{number}'s head is "
                      f"{str(head)[:12]}, not the run's {str(run_info.get('head_sha'))[:12]}: "
                      "not posting")
    url = post(repository, number, body, bool(info.get("changed")))
    common.append(os.environ.get("GITHUB_OUTPUT"), common.output_lines({"comment-url": url}))
    return 0


def parser():
    p = argparse.ArgumentParser(prog="github.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run", help="check and diff, summary, annotations, sticky comment")
    r.add_argument("--budgets", nargs="+", required=True, metavar="FILE")
    r.add_argument("--elf", help="the image (or a snapshot of it); default [image] elf")
    r.add_argument("--map", help="its link map; default [image] map")
    r.add_argument("--base", help="BASE snapshot, or a directory of them")
    r.add_argument("--base-ref", default="auto")
    r.add_argument("--gate", default="absolute", choices=common.GATES)
    r.add_argument("--override-from", action="append", default=[], metavar="FILE")
    r.add_argument("--out", default="membudget-out")
    r.add_argument("--comment", default="auto", choices=("auto", "never"))
    r.set_defaults(go=run)
    q = sub.add_parser("post", help="post a computed DIR's comment (workflow_run)")
    q.add_argument("dir", metavar="DIR")
    q.set_defaults(go=post_from)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    # Empty inputs from action.yml mean "not given"
    for key in ("elf", "map", "base"):
        if getattr(args, key, None) == "":
            setattr(args, key, None)
    try:
        return args.go(args)
    except Failure as err:
        line = common.failure_line(err)
        print(line, file=sys.stderr)
        try:
            common.append(os.environ.get("GITHUB_STEP_SUMMARY"),
                          f"## membudget\n\n:warning: **bad input**: `{line}`\n")
            common.append(os.environ.get("GITHUB_OUTPUT"), common.output_lines(
                {"status": common.EXIT_USAGE, "verdict": f"bad input: {line}"}))
        except Failure:
            pass        # the runner's files are broken too: the line said enough
        return common.EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
