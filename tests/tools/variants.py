"""Two builds of one small program that differ in known ways, for diff tests.

Variant 0 is the base, variant 1 the head.  What changes:
  grow_me      a function, larger in the head
  table        an array, 64 -> 96 bytes
  calc         a function whose name carries a clone suffix that changes:
               calc.constprop.0 -> calc.isra.1 (same code)
  twin         a static function in one.c and in two.c; two.c's grows
  gone         removed in the head;  fresh: added in the head
  tiny         grows by a few bytes (noise for --min-delta)
Each variant is compiled from its own directory with absolute source
paths, so the DWARF file names differ by a build-path prefix.
"""

import pathlib
import subprocess

COMMON = {
    "start.c": """
int main(void);
void _start(void)
{
	for (;;)
		main();
}
""",
    "one.c": """
static int __attribute__((noinline)) twin(int x)
{
	return x * 3 + 1;
}
int one(int x)
{
	return twin(x) + 1;
}
""",
}

VARIANT = {
    0: {
        "two.c": """
static int __attribute__((noinline)) twin(int x)
{
	return x * 3 + 1;
}
int two(int x)
{
	return twin(x) - 1;
}
""",
        "main.c": """
volatile unsigned char table[64] = { 1 };
volatile int sink;
int one(int x);
int two(int x);
int calc(int x) __asm__("calc.constprop.0");
int __attribute__((noinline)) calc(int x) { return x * 7 + sink; }
int __attribute__((noinline)) grow_me(int x) { return x + sink; }
int __attribute__((noinline)) gone(int x) { sink = x; return sink * 5 + sink; }
int __attribute__((noinline)) tiny(int x) { return x + 1; }
int main(void)
{
	return one(1) + two(2) + grow_me(3) + table[0] + calc(4) + gone(5) + tiny(6);
}
""",
    },
    1: {
        "two.c": """
static int __attribute__((noinline)) twin(int x)
{
	volatile int a = x;
	a = a * 3 + 1;
	a ^= 0x55;
	a += a >> 3;
	a -= x * 9;
	return a;
}
int two(int x)
{
	return twin(x) - 1;
}
""",
        "main.c": """
volatile unsigned char table[96] = { 1 };
volatile int sink;
int one(int x);
int two(int x);
int calc(int x) __asm__("calc.isra.1");
int __attribute__((noinline)) calc(int x) { return x * 7 + sink; }
int __attribute__((noinline)) grow_me(int x)
{
	int i, sum = 0;

	for (i = 0; i < x; i++)
		sum += sink * i + table[i & 63];
	sink = sum;
	return sum + sink;
}
int __attribute__((noinline)) fresh(int x) { sink = x ^ 3; return sink; }
int __attribute__((noinline)) tiny(int x) { return x * sink + 1; }
int main(void)
{
	return one(1) + two(2) + grow_me(3) + table[0] + calc(4) + fresh(5) + tiny(6);
}
""",
    },
}

CFLAGS = ("-m32", "-O1", "-g", "-ffreestanding", "-fno-pic",
          "-fno-asynchronous-unwind-tables", "-ffunction-sections", "-fdata-sections")


def build(top, variant):
    """Compile and link one variant under top/v<variant>/; return the ELF path."""
    work = pathlib.Path(top) / f"v{variant}"
    src = work / "src"
    src.mkdir(parents=True, exist_ok=True)
    objects = []
    for name, text in {**COMMON, **VARIANT[variant]}.items():
        (src / name).write_text(text)
        obj = work / name.replace(".c", ".o")
        subprocess.run(["gcc", *CFLAGS, "-c", str(src / name), "-o", str(obj)],
                       check=True, cwd=work)
        objects.append(str(obj))
    elf = work / "prog.elf"
    subprocess.run(["gcc", "-m32", "-nostdlib", "-static", "-Wl,-e,_start",
                    "-o", str(elf), *objects], check=True, cwd=work)
    return elf
