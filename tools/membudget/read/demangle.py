"""C++ (Itanium ABI) symbol names for people, through binutils' c++filt.

Reports keep the mangled name as the symbol's identity (diffs match on it)
and show the demangled one beside it.  c++filt is asked once for every
name of a report; without it (not installed, or it fails) names stay as
they are: demangling is a courtesy, never a reason to fail.
"""

import subprocess

CXXFILT = "c++filt"
#: Itanium ABI prefixes: _Z, and the ones the linker or runtime adds
PREFIXES = ("_Z", "__Z", "_GLOBAL__sub_I_")


def demangle(names):
    """{mangled: demangled} for the names that demangle to something else."""
    mangled = sorted({n for n in names if n and n.startswith(PREFIXES)})
    import shutil  # imported here: only C++ images need c++filt
    tool = shutil.which(CXXFILT)
    if not mangled or tool is None:
        return {}
    try:
        proc = subprocess.run([tool], input="\n".join(mangled) + "\n", capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    lines = proc.stdout.splitlines()
    if proc.returncode or len(lines) != len(mangled):
        return {}
    return {m: d for m, d in zip(mangled, lines) if d != m}
