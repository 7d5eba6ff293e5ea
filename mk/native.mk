# membudget's compiled part: each tools/membudget/<layer>/_<name>.c is the
# extension module membudget.<layer>._<name>, the hot loop of the Python
# module beside it (docs/design.md "Native loops").  They are built in
# place, against the limited API (one .abi3.so serves every CPython 3.11+),
# so `python3 tools/membudget` and the tests import them from the tree;
# setup.py builds the same files for `pip install`.
NATIVE_SRCS := $(wildcard tools/membudget/*/_*.c)
NATIVE_MODS := $(NATIVE_SRCS:.c=.abi3.so)
NATIVE_CFLAGS := -std=gnu11 -O2 -fPIC -shared -fvisibility=hidden \
	-Wall -Wextra -Werror -DPy_LIMITED_API=0x030B0000

# Python.h of the interpreter that runs membudget (python3-dev on Debian)
PY_INCLUDE = $(eval PY_INCLUDE := $(shell $(PYTHON) -c \
	'import sysconfig; print(sysconfig.get_path("include"))'))$(PY_INCLUDE)

.PHONY: native
native: $(NATIVE_MODS)

tools/membudget/%.abi3.so: tools/membudget/%.c mk/native.mk
	@test -f '$(PY_INCLUDE)/Python.h' || { \
		echo "native: no $(PY_INCLUDE)/Python.h (python3-dev); run 'make deps'" >&2; exit 1; }
	@echo "  PYEXT   $@"
	$(Q)$(HOST_CC) $(NATIVE_CFLAGS) -I'$(PY_INCLUDE)' $< -o $@
