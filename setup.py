# The compiled part of membudget for `pip install` (pyproject.toml holds
# the rest): each tools/membudget/<layer>/_<name>.c is the extension
# module membudget.<layer>._<name>, built against the limited API as
# mk/native.mk builds it in place for `make`.
import glob

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(src[len("tools/"):-len(".c")].replace("/", "."), [src],
                  define_macros=[("Py_LIMITED_API", "0x030B0000")],
                  extra_compile_args=["-std=gnu11"], py_limited_api=True)
        for src in sorted(glob.glob("tools/membudget/*/_*.c"))
    ],
    options={"bdist_wheel": {"py_limited_api": "cp311"}},
)
