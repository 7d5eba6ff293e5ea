"""Fork server for test_malformed.py: import membudget once, run each case
in a fresh child.

Started as `python3 forkserver.py TOOLS_DIR MEMORY_LIMIT TIMEOUT`, it
imports membudget.cli (about a quarter of a second of CPU, most of what a
one-shot `python3 tools/membudget` run costs on a small input) and then
reads one JSON request per line on stdin:

    {"argv": [...], "cwd": DIR, "stderr": FILE}

For each it forks a child that is what the launcher would be after its
imports: cwd DIR, stdin and stdout on /dev/null, stderr into FILE, the
address space capped at MEMORY_LIMIT bytes, then cli.main(argv) and
exit with its status (an exception that escapes main prints its
traceback and exits 1, as the interpreter would).  The server reaps the
child with wait4, kills it after TIMEOUT seconds, and answers one JSON
line:

    {"status": N or null (timed out), "seconds": wall, "cpu": user + system,
     "rss_kib": peak resident set}

Every case still runs in a process of its own, under the same limits;
only the interpreter start-up and the imports are shared.
"""

import json
import os
import resource
import signal
import sys
import time
import traceback


def _exit_status(code):
    """The status sys.exit(code) would give."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _child(cli, request, memory_limit):
    """Run one case; never returns."""
    status = 1
    try:
        os.chdir(request["cwd"])
        devnull = os.open(os.devnull, os.O_RDWR)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(err, 2)
        os.close(devnull)
        os.close(err)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        sys.argv = ["membudget", *request["argv"]]
        try:
            status = _exit_status(cli.main(request["argv"]))
        except SystemExit as exit_:
            status = _exit_status(exit_.code)
        except BaseException:  # noqa: BLE001 - as the interpreter: traceback, exit 1
            traceback.print_exc()
            status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - nothing left to tell
                pass
        os._exit(status)


def serve(cli, memory_limit, timeout):
    child = None
    timed_out = False

    def on_alarm(signum, frame):
        nonlocal timed_out
        if child is not None:
            try:
                os.kill(child, signal.SIGKILL)
                timed_out = True
            except ProcessLookupError:
                pass        # reaped just now: it answered in time

    signal.signal(signal.SIGALRM, on_alarm)
    for line in sys.stdin:
        request = json.loads(line)
        timed_out = False
        start = time.monotonic()
        child = os.fork()
        if child == 0:
            _child(cli, request, memory_limit)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        _, wstatus, usage = os.wait4(child, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        child = None
        status = None if timed_out else os.waitstatus_to_exitcode(wstatus)
        answer = {"status": status, "seconds": time.monotonic() - start,
                  "cpu": usage.ru_utime + usage.ru_stime, "rss_kib": usage.ru_maxrss}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def main():
    tools, memory_limit, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    sys.path.insert(0, tools)
    from membudget import cli
    serve(cli, memory_limit, timeout)


if __name__ == "__main__":
    main()
