"""Run many membudget command lines in one interpreter, recording what each wrote.

    python3 cli_batch.py TOOLS_DIR JOBS.json OUT_DIR

TOOLS_DIR is the directory holding the membudget package to run (a
checkout's tools/); JOBS.json is {name: {"argv": [...], "cwd": dir}}.  In
each argv, "{out}" stands for OUT_DIR/<name>, a directory made for the
job's -o files.  For each job this writes OUT_DIR/<name>/stdout, stderr
(OUT_DIR in them replaced by "{root}") and status.  One process imports
membudget once and runs every job, so comparing two trees on a corpus
costs two interpreters, not hundreds.
"""

import contextlib
import io
import json
import os
import sys


def main(tools, jobs_path, out):
    sys.path.insert(0, tools)
    from membudget import cli      # noqa: E402 - the tree given on the command line

    with open(jobs_path, encoding="utf-8") as f:
        jobs = json.load(f)
    for name, job in jobs.items():
        where = os.path.join(out, name)
        os.makedirs(where, exist_ok=True)
        argv = [arg.replace("{out}", where) for arg in job["argv"]]
        stdout, stderr = io.StringIO(), io.StringIO()
        os.chdir(job["cwd"])
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                status = cli.main(argv)
            except SystemExit as exit_:
                status = exit_.code
        for part, text in (("stdout", stdout.getvalue().replace(out, "{root}")),
                           ("stderr", stderr.getvalue().replace(out, "{root}")),
                           ("status", f"{status}\n")):
            with open(os.path.join(where, part), "w", encoding="utf-8") as f:
                f.write(text)


if __name__ == "__main__":
    main(*sys.argv[1:])
