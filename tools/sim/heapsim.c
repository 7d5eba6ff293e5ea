/** @file
 *
 * heapsim: replay an allocation trace against the firmware heap
 *
 * Usage: heapsim [--json] [--pool-address ADDR] FILE (or "-" for stdin).
 * --pool-address puts the pool where the firmware's lies (ADDR, its
 * heap_pool), modulo HEAP_HOST_PLACE, so aligned requests leave the slack
 * they leave in the firmware.  One operation per line, as fixed in
 * docs/design.md "Simulators":
 *
 *     malloc <id> <size>      zalloc <id> <size>      realloc <id> <size>
 *     free <id>               dma <id> <size> <align> freedma <id>
 *     check
 *
 * "#" starts a comment; numbers (ids too) are decimal or 0x hex.  An id
 * holds the result of its last allocation, NULL if that failed.  Freeing
 * (free, freedma) an id that holds nothing, allocating (malloc, zalloc,
 * dma) an id that holds a live block, or mixing the two families on one
 * id is malformed input.  realloc of an id that holds nothing is
 * realloc(NULL, size).
 *
 * Every block is filled with a pattern derived from its id and verified
 * before it is freed or moved, and at the end; with heap_check() and the
 * alignment of every pointer, that catches overlapping blocks and lost
 * contents.
 *
 * Output: "key value" lines (ops, failures, live, used, peak_used, free,
 * largest_free, pool), or with --json the same keys as one JSON object
 * of integers (sizes in bytes) for tools such as membudget.  Exit 0 on
 * success, 1 on an invariant violation (the first one on stderr), 2 on
 * malformed input ("file:line: message") or bad usage.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "malloc.h"

#ifdef HEAPSIM_PER_CALL
/*
 * make bench's per-call build: callgrind zeroes its counters before each
 * heap call and dumps them right after, under the call's name, so every
 * dump is one call (plus the client requests' own few instructions,
 * which the "calibrate" dump measures)
 */
#include <valgrind/callgrind.h>
#define MEASURED(name, call) ({                                                \
	CALLGRIND_ZERO_STATS;                                                  \
	__typeof__(call) measured_ = (call);                                   \
	CALLGRIND_DUMP_STATS_AT(name);                                         \
	measured_;                                                             \
})
#define MEASURED_VOID(name, call)                                              \
	do {                                                                   \
		CALLGRIND_ZERO_STATS;                                          \
		call;                                                          \
		CALLGRIND_DUMP_STATS_AT(name);                                 \
	} while (0)
#else
#define MEASURED(name, call) (call)
#define MEASURED_VOID(name, call) call
#endif

/** Ids are indices into a fixed table; the bound keeps it modest */
#define MAX_IDS (1 << 20)

/** Longest accepted line, newline included */
#define MAX_LINE 512

/** What an id holds */
enum holding {
	HOLDS_NOTHING = 0,	/**< Never allocated, or freed */
	HOLDS_MALLOC,		/**< Result of malloc/zalloc/realloc */
	HOLDS_DMA,		/**< Result of dma */
};

/** One id's block */
struct sim_block {
	uint8_t *ptr;		/**< Block, or NULL if the allocation failed */
	size_t size;		/**< Size requested */
	enum holding holds;
};

static struct sim_block blocks[MAX_IDS];

/** One past the highest id the trace names: finish() looks no further */
static size_t ids_seen;

/** Where we are in the trace, for messages */
static const char *trace_name;
static unsigned long line_no;

/** Exit with a malformed-input message */
static void __attribute__((noreturn, format(printf, 1, 2)))
malformed(const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "%s:%lu: ", trace_name, line_no);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	exit(2);
}

/** Exit with an invariant violation */
static void __attribute__((noreturn, format(printf, 1, 2)))
violated(const char *fmt, ...)
{
	va_list args;

	if (line_no)
		fprintf(stderr, "%s:%lu: ", trace_name, line_no);
	else
		fprintf(stderr, "%s: at end: ", trace_name);
	fprintf(stderr, "invariant violated: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

#ifdef HEAPSIM_FIGURES_ONLY
/*
 * make check's build (mk/tools.mk): the figures alone.  Filling and
 * verifying every block's bytes was 85 % of a replay there; the tests'
 * builds replay the same traces to the same figures (test_heapsim.py),
 * and they check the contents
 */
static void fill(size_t id)
{
	(void)id;
}

static void verify(size_t id, const uint8_t *ptr, size_t len)
{
	(void)id;
	(void)ptr;
	(void)len;
}
#else
/**
 * Pattern word @c w of the block held by @c id
 *
 * Filled and checked a word at a time: byte by byte, fill and verify took
 * 88 % of a replay.  Words are written with memcpy(), so a block's
 * alignment does not matter, and a byte of the pattern is a byte of a
 * little-endian word.
 */
static uint32_t pattern_word(size_t id, size_t w)
{
	return (uint32_t)(id * 2654435761u) ^ (uint32_t)(w * 0x9e3779b1u) ^ 0xa5a5a5a5u;
}

/** Pattern byte @c i of the block held by @c id */
static uint8_t pattern(size_t id, size_t i)
{
	return (uint8_t)(pattern_word(id, i / 4) >> (8 * (i % 4)));
}

static void fill(size_t id)
{
	struct sim_block *b = &blocks[id];
	size_t i;
	uint32_t word;

	for (i = 0; i + 4 <= b->size; i += 4) {
		word = pattern_word(id, i / 4);
		__builtin_memcpy(b->ptr + i, &word, 4);
	}
	for (; i < b->size; i++)
		b->ptr[i] = pattern(id, i);
}

/** Verify the first @c len bytes of @c ptr hold @c id's pattern */
static void verify(size_t id, const uint8_t *ptr, size_t len)
{
	size_t i;
	uint32_t word;

	for (i = 0; i + 4 <= len; i += 4) {
		__builtin_memcpy(&word, ptr + i, 4);
		if (word != pattern_word(id, i / 4))
			break;
	}
	for (; i < len; i++) {
		if (ptr[i] != pattern(id, i))
			violated("id %zu: byte %zu of %zu overwritten", id, i,
				 len);
	}
}
#endif

/** Check a new block's alignment */
static void check_aligned(size_t id, const void *ptr, size_t align)
{
	if (align < HEAP_ALIGN)
		align = HEAP_ALIGN;
	if ((uintptr_t)ptr & (align - 1))
		violated("id %zu: %p not aligned to %zu", id, ptr, align);
}

#ifdef DEBUG
static const char *check_message(int rc)
{
	switch (rc) {
	case HEAP_ERR_RANGE:
		return "free block outside the pool";
	case HEAP_ERR_ALIGN:
		return "free block empty or not granular";
	case HEAP_ERR_ORDER:
		return "free list unsorted or overlapping";
	case HEAP_ERR_MERGE:
		return "adjacent free blocks not merged";
	case HEAP_ERR_TOTAL:
		return "free + used != pool";
	case HEAP_ERR_PEAK:
		return "peak below current use";
	default:
		return "unknown error";
	}
}
#endif

/* heap_check() exists only in debug builds (the benchmark's is not) */
static void run_check(void)
{
#ifdef DEBUG
	int rc = heap_check();

	if (rc != HEAP_OK)
		violated("heap_check: %s (%d)", check_message(rc), rc);
#endif
}

/**
 * Parse a number: decimal or 0x hex, nothing else
 *
 * @v text		Token
 * @v what		Its meaning, for the message
 * @ret value		Value
 */
static size_t parse_number(const char *text, const char *what)
{
	const char *digits = text;
	unsigned long long value;
	char *end;
	int base = 10;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		digits = text + 2;
		base = 16;
	}
	/* strtoull() would accept signs, spaces and an empty "0x" */
	if (!(base == 16 ? !!strchr("0123456789abcdefABCDEF", *digits) :
			   (*digits >= '0' && *digits <= '9')) ||
	    !*digits)
		malformed("bad %s '%s'", what, text);
	errno = 0;
	value = strtoull(digits, &end, base);
	if (*end)
		malformed("bad %s '%s'", what, text);
	if (errno == ERANGE || value > SIZE_MAX)
		malformed("%s '%s' out of range", what, text);
	return value;
}

static size_t parse_id(const char *text)
{
	size_t id = parse_number(text, "id");

	if (id >= MAX_IDS)
		malformed("id %zu out of range (max %d)", id, MAX_IDS - 1);
	if (id >= ids_seen)
		ids_seen = id + 1;
	return id;
}

/** Release an id's block (free or freedma) */
static void op_release(size_t id, enum holding family)
{
	struct sim_block *b = &blocks[id];

	if (b->holds == HOLDS_NOTHING)
		malformed("%s of id %zu, which holds nothing",
			  family == HOLDS_DMA ? "freedma" : "free", id);
	if (b->holds != family)
		malformed("%s of id %zu, allocated by %s",
			  family == HOLDS_DMA ? "freedma" : "free", id,
			  b->holds == HOLDS_DMA ? "dma" : "malloc");
	if (b->ptr)
		verify(id, b->ptr, b->size);
	if (family == HOLDS_DMA)
		MEASURED_VOID("free_dma", free_dma(b->ptr, b->size));
	else
		MEASURED_VOID("free", free(b->ptr));
	b->holds = HOLDS_NOTHING;
	b->ptr = NULL;
	b->size = 0;
}

/** A new allocation into @c id (malloc, zalloc, dma) */
static void op_alloc(size_t id, const char *op, size_t size, size_t align)
{
	struct sim_block *b = &blocks[id];
	uint8_t *ptr;

	if (b->ptr)
		malformed("%s of id %zu, which holds a live block", op, id);
	if (op[0] == 'd')
		ptr = MEASURED("malloc_dma", malloc_dma(size, align));
	else if (op[0] == 'z')
		ptr = MEASURED("zalloc", zalloc(size));
	else
		ptr = MEASURED("malloc", malloc(size));

	if (ptr) {
		if (op[0] == 'd' && (align & (align - 1)))
			violated("id %zu: dma with alignment %zu succeeded",
				 id, align);
		check_aligned(id, ptr, align);
		if (op[0] == 'z') {
			for (size_t i = 0; i < size; i++) {
				if (ptr[i])
					violated("id %zu: zalloc byte %zu "
						 "not zero", id, i);
			}
		}
	}
	b->ptr = ptr;
	b->size = ptr ? size : 0;
	b->holds = (op[0] == 'd') ? HOLDS_DMA : HOLDS_MALLOC;
	if (ptr)
		fill(id);
}

static void op_realloc(size_t id, size_t size)
{
	struct sim_block *b = &blocks[id];
	uint8_t *ptr;

	if (b->holds == HOLDS_DMA)
		malformed("realloc of id %zu, allocated by dma", id);
	if (b->ptr)
		verify(id, b->ptr, b->size);

	ptr = MEASURED("realloc", realloc(b->ptr, size));
	if (!ptr && size && b->ptr) {
		/* Failed: the old block must be untouched */
		verify(id, b->ptr, b->size);
		return;
	}
	if (ptr && !size && b->ptr)
		violated("id %zu: realloc to 0 returned a block", id);
	if (ptr) {
		check_aligned(id, ptr, 0);
		/* The old contents, as far as both sizes reach */
		if (b->ptr)
			verify(id, ptr, size < b->size ? size : b->size);
	}
	b->ptr = ptr;
	b->size = ptr ? size : 0;
	b->holds = HOLDS_MALLOC;
	if (ptr)
		fill(id);
}

/** Expect exactly @c want arguments after the op */
static void want_args(char **args, unsigned int nargs, unsigned int want,
		      const char *op)
{
	(void)args;
	if (nargs != want)
		malformed("%s takes %u argument%s, got %u", op, want,
			  want == 1 ? "" : "s", nargs);
}

/**
 * Run one line
 *
 * @v line		Line, newline and comment stripped
 * @ret ran		1 if it was an operation, 0 if blank
 */
static int run_line(char *line)
{
	char *tok[6];
	unsigned int ntok = 0;
	char *save;
	char *word;
	const char *op;
	char **args;
	unsigned int nargs;

	for (word = strtok_r(line, " \t\r\v\f", &save); word;
	     word = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (ntok == ARRAY_SIZE(tok))
			malformed("too many fields");
		tok[ntok++] = word;
	}
	if (!ntok)
		return 0;
	op = tok[0];
	args = &tok[1];
	nargs = ntok - 1;

	if (!strcmp(op, "malloc") || !strcmp(op, "zalloc")) {
		want_args(args, nargs, 2, op);
		op_alloc(parse_id(args[0]), op, parse_number(args[1], "size"),
			 0);
	} else if (!strcmp(op, "dma")) {
		want_args(args, nargs, 3, op);
		op_alloc(parse_id(args[0]), op, parse_number(args[1], "size"),
			 parse_number(args[2], "alignment"));
	} else if (!strcmp(op, "realloc")) {
		want_args(args, nargs, 2, op);
		op_realloc(parse_id(args[0]), parse_number(args[1], "size"));
	} else if (!strcmp(op, "free")) {
		want_args(args, nargs, 1, op);
		op_release(parse_id(args[0]), HOLDS_MALLOC);
	} else if (!strcmp(op, "freedma")) {
		want_args(args, nargs, 1, op);
		op_release(parse_id(args[0]), HOLDS_DMA);
	} else if (!strcmp(op, "check")) {
		want_args(args, nargs, 0, op);
		run_check();
	} else {
		malformed("unknown operation '%s'", op);
	}
	return 1;
}

/** Final checks: every live block intact, counters consistent */
static unsigned long finish(void)
{
	struct heap_stats st;
	unsigned long live = 0;

	line_no = 0;
	for (size_t id = 0; id < ids_seen; id++) {
		if (blocks[id].ptr) {
			verify(id, blocks[id].ptr, blocks[id].size);
			live++;
		}
	}
	run_check();
	heap_stats(&st);
	if (st.free + st.used != HEAP_SIZE)
		violated("free %zu + used %zu != pool %u", st.free, st.used,
			 (unsigned int)HEAP_SIZE);
	if (st.largest_free > st.free)
		violated("largest free block %zu > free bytes %zu",
			 st.largest_free, st.free);
	if (!live && st.used)
		violated("no live block but %zu bytes used", st.used);
	return live;
}

/** One statistic, in output order */
struct stat_line {
	const char *key;
	unsigned long long value;
};

/**
 * Print the statistics
 *
 * @v lines		Statistics
 * @v count		Number of statistics
 * @v json		Nonzero for one JSON object, zero for "key value" lines
 */
static void print_stats(const struct stat_line *lines, size_t count,
			int json)
{
	for (size_t i = 0; i < count; i++) {
		if (json)
			printf("%s\"%s\": %llu", i ? ", " : "{", lines[i].key,
			       lines[i].value);
		else
			printf("%s %llu\n", lines[i].key, lines[i].value);
	}
	if (json)
		printf("}\n");
}

/* Weak, and declared here: the benchmark also builds heapsim on a heap
 * (and a malloc.h) from before heap_place() */
extern void heap_place(uintptr_t address) __attribute__((weak));

/** Print the usage line; the exit status of bad usage */
static int usage(void)
{
	fprintf(stderr, "usage: heapsim [--json] [--pool-address ADDR] FILE "
		"(or - for stdin)\n");
	return 2;
}

int main(int argc, char **argv)
{
	char line[MAX_LINE];
	unsigned long ops = 0;
	unsigned long live;
	struct heap_stats st;
	const char *path;
	int json = 0;
	FILE *in;
	size_t len;
	int arg;
	char *end;
	unsigned long long address;

	/* The client requests' own cost, for the per-call figures */
	MEASURED_VOID("calibrate", (void)0);
	/* Options first; "--json" alone is a forgotten FILE, not a file */
	for (arg = 1; arg < argc && !strncmp(argv[arg], "--", 2); arg++) {
		if (!strcmp(argv[arg], "--json")) {
			json = 1;
		} else if (!strcmp(argv[arg], "--pool-address") && arg + 1 < argc) {
			errno = 0;
			address = strtoull(argv[++arg], &end, 0);
			if (errno || *end || !*argv[arg] || address > UINTPTR_MAX ||
			    address % HEAP_ALIGN) {
				fprintf(stderr, "heapsim: --pool-address %s: not an "
					"address that is a multiple of %zu\n",
					argv[arg], (size_t)HEAP_ALIGN);
				return 2;
			}
			if (!heap_place) {
				fprintf(stderr, "heapsim: --pool-address: this heap "
					"cannot be placed\n");
				return 2;
			}
			heap_place((uintptr_t)address);
		} else {
			return usage();
		}
	}
	if (arg != argc - 1)
		return usage();
	path = argv[arg];
	if (!strcmp(path, "-")) {
		in = stdin;
		trace_name = "<stdin>";
	} else {
		in = fopen(path, "r");
		trace_name = path;
		if (!in) {
			fprintf(stderr, "heapsim: %s: %s\n", path,
				strerror(errno));
			return 2;
		}
	}

	heap_init();
	while (fgets(line, sizeof(line), in)) {
		line_no++;
		len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(in))
			malformed("line longer than %d bytes", MAX_LINE - 2);
		if (strlen(line) != len)
			malformed("NUL byte in line");
		line[strcspn(line, "#")] = '\0';
		ops += run_line(line);
	}
	if (ferror(in)) {
		fprintf(stderr, "heapsim: %s: read error\n", trace_name);
		return 2;
	}
	live = finish();

	heap_stats(&st);
	{
		const struct stat_line stats[] = {
			{ "ops", ops },
			{ "failures", st.failures },
			{ "live", live },
			{ "used", st.used },
			{ "peak_used", st.peak_used },
			{ "free", st.free },
			{ "largest_free", st.largest_free },
			{ "pool", HEAP_SIZE },
		};

		print_stats(stats, ARRAY_SIZE(stats), json);
	}
	return 0;
}
