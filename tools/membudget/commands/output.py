"""Where a command's text goes: stdout, or a file that is never left half-written.

write() is the one output routine of every command.  What `-o PATH` does
depends on what PATH is:

  * `-` (or no -o): standard output, and so is /dev/stdout;
  * /dev/stderr, /dev/fd/N, /proc/self/fd/N: that open descriptor, where
    it stands (not reopened: a log the shell appends to is not truncated);
  * a regular file, or a name that does not exist yet: a temporary file in
    the same directory, renamed over PATH once complete, so a reader sees
    the old or the new report, never a part; an existing file keeps its
    permission bits (and its owner and group, where the process may set
    them);
  * a symbolic link: followed to its final target, which is replaced as
    above (a dangling link gets its target created); the link stays a link;
  * anything else that exists (a character or block device such as
    /dev/null, a FIFO): opened and written in place, never renamed over;
    a Unix socket: connected to and sent the text;
  * a directory, a name ending in `/`, or a path whose directory does not
    exist: bad input.

The temporary file is removed on every failure, SIGINT and SIGTERM
included.  Commands call write() last, after every input was read, so a
command that fails on bad input never touches PATH.
"""

import contextlib
import errno
import os
import re
import signal
import stat
import sys

from ..model import InputError

STDOUT = "-"
#: Names of open file descriptors, and which
STD_NAMES = {"/dev/stdout": 1, "/dev/stderr": 2}
FD_NAME_RE = re.compile(r"/(?:dev|proc/self)/fd/([0-9]+)")


class _Terminated(BaseException):
    """SIGTERM arrived while a temporary file existed."""


def warn(path, message):
    """One warning line on stderr, naming the file it is about."""
    print(f"membudget: {path}: warning: {message}", file=sys.stderr)


def note(path, message):
    """One line on stderr about a file: what a command found or did."""
    print(f"membudget: {path}: {message}", file=sys.stderr)


def _stdout(text):
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (| head): not worth an error message
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _fail(path, err):
    raise InputError(path, err.strerror or str(err)) from None


def _in_place(path, text):
    """Write to a device or FIFO as it is."""
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        _fail(path, err)


def _descriptor(path):
    """The descriptor a name like /dev/stdout or /dev/fd/3 means, or None."""
    if path in STD_NAMES:
        return STD_NAMES[path]
    match = FD_NAME_RE.fullmatch(path)
    return int(match.group(1)) if match else None


def _to_descriptor(path, fd, text):
    """Write to an open descriptor through a copy of it.

    Opening /dev/fd/N anew would truncate the file behind it and write
    from its start, over what the shell (`>>`) or others wrote there.
    """
    if fd == 1:
        _stdout(text)
        return
    with contextlib.suppress(Exception):
        sys.stderr.flush()      # what was written to stderr comes first
    try:
        with open(os.dup(fd), "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        _fail(path, err)


def _to_socket(path, text):
    """A listening Unix stream socket: open() cannot, connect() can."""
    import socket  # imported here: a socket target is rare, and every run would pay
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            sock.sendall(text.encode("utf-8"))
    except OSError as err:
        _fail(path, err)


def _on_sigterm(signum, frame):
    raise _Terminated()


def _catch_sigterm(handler):
    """Install a SIGTERM handler; returns the previous one (None off the main thread)."""
    if handler is None:
        return None
    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:
        return None     # signals belong to the main thread


def _replace(target, text, shown):
    """Write target atomically; shown is the name the user gave."""
    directory = os.path.dirname(target) or "."
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as err:
        _fail(shown, err)
    import tempfile  # imported here: a run that writes to stdout does not need it
    previous = _catch_sigterm(_on_sigterm)
    tmp = None
    try:
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.",
                                       suffix=".tmp", dir=directory)
        except OSError as err:
            _fail(shown, err)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        if old is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        else:
            # chown first: it clears the set-user-ID and set-group-ID bits
            try:
                os.chown(tmp, old.st_uid, old.st_gid)
            except PermissionError:
                pass        # not ours to give away: the mode still holds
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        _fail(shown, err)
    except _Terminated:
        raise KeyboardInterrupt from None
    finally:
        if tmp is not None:
            # Gone already if the signal came just after the rename
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        _catch_sigterm(previous)


def write(text, path=None):
    """Write text to path (see the module docstring), or to stdout.

    @v text     the whole output
    @v path     -o's argument; None or "-" for standard output
    @raises InputError  a directory, a missing directory, or a write error
    """
    if path is None or path == STDOUT:
        _stdout(text)
        return
    fd = _descriptor(path)
    if fd is not None:
        _to_descriptor(path, fd, text)
        return
    try:
        # The kernel follows the links (/proc's "pipe:[N]" ones too)
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        _fail(path, err)
    if mode is not None and stat.S_ISDIR(mode) or path.endswith("/"):
        raise InputError(path, os.strerror(errno.EISDIR))
    if mode is not None and stat.S_ISSOCK(mode):
        _to_socket(path, text)
        return
    if mode is not None and not stat.S_ISREG(mode):
        _in_place(path, text)
        return
    # A regular file, or a new one: through the links to the file itself
    target = os.path.realpath(path)
    if not os.path.isdir(os.path.dirname(target)):
        raise InputError(path, os.strerror(errno.ENOENT))
    _replace(target, text, path)
