"""Unix ar archives (.a): the members a link can pull object files from."""

from ..model import InputError


def ar_members(path, data):
    """Members of a Unix ar archive as [(name, bytes)], GNU and BSD names.

    The symbol tables ("/", "/SYM64/", "__.SYMDEF") and the GNU long-name
    table ("//") are not members.
    """
    if not data.startswith(b"!<arch>\n"):
        raise InputError(path, "not an ar archive")
    pos, names, members = 8, b"", []
    while pos < len(data):
        if pos + 60 > len(data):
            raise InputError(path, f"truncated member header at byte {pos}")
        header = data[pos:pos + 60]
        if header[58:60] != b"`\n":
            raise InputError(path, f"bad member header at byte {pos}")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise InputError(path, f"bad member size at byte {pos}") from None
        body = data[pos + 60:pos + 60 + size]
        if len(body) < size:
            raise InputError(path, f"truncated member at byte {pos}")
        name = header[:16].decode("ascii", "replace").rstrip()
        if name.startswith("#1/"):          # BSD: the name opens the body
            length = int(name[3:])
            name, body = body[:length].rstrip(b"\0").decode("utf-8", "replace"), body[length:]
        elif name == "//":
            names = body
            name = None
        elif name in ("/", "/SYM64/") or name.startswith("__.SYMDEF"):
            name = None
        elif name.startswith("/") and name[1:].isdigit():
            start = int(name[1:])
            end = names.find(b"/\n", start)
            name = names[start:end if end >= 0 else len(names)].decode("utf-8", "replace")
        else:
            name = name.rstrip("/")
        if name is not None:
            members.append((name, body))
        pos += 60 + size + (size & 1)
    return members
