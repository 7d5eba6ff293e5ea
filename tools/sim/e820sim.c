/** @file
 *
 * e820sim: what an INT 15h caller sees through the firmware's hook
 *
 * Usage: e820sim [-n MAX] FILE   (FILE "-" reads standard input)
 *
 * Input, one item per line, '#' starts a comment, numbers are decimal
 * or 0x hex:
 *
 *   bios <start> <length> <type> [<ext_attrs>]   what the BIOS reports
 *   hide <start> <end>                            a hidden region
 *
 * A bios line with ext_attrs is a 24-byte entry, one without a 20-byte
 * entry.  Hidden regions go through hide_region()'s page rounding.
 *
 * Output: one line per E820 call, "0x%016llx 0x%016llx %u" (start,
 * length, type) followed by " 0x%x" (the attributes) for 24-byte
 * entries; then "e801 <kib_1m_to_16m> <blocks64k_above_16m>" and
 * "88 <kib_above_1m>".  A map with nothing to report (no bios lines, or
 * every byte hidden) prints no entry lines: the hook fails the first
 * call with CF set, as a BIOS without E820 does.  The BIOS's E801h and
 * 88h answers are derived as SeaBIOS does, from the usable memory
 * contiguous from 1 MiB (below 4 GiB; 88h capped at 0xffff KiB).
 *
 * -n MAX answers from a MAX-entry buffer, as a hook with a small buffer
 * would; a truncated map loses memory, which the self-check reports.
 *
 * Every run re-checks the result against the input: no hidden byte
 * reported usable, no unhidden usable byte lost, no byte usable that
 * was not, other entries unchanged and in order, no empty entry, E801h
 * and 88h within the BIOS's answers and below every hidden byte.
 *
 * Exit status: 0 success, 1 an invariant broken (first one on stderr),
 * 2 malformed input ("file:line: message") or usage.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "e820.h"
#include "hidemem.h"

typedef unsigned __int128 u128;

#define TOP_4G 0x100000000ULL

/** A growable array */
struct vec {
	void *items;
	size_t count;
	size_t room;
};

/** The simulated machine */
struct machine {
	struct vec bios;	/**< struct e820_entry */
	struct vec hide;	/**< struct hidden_region */
};

/** What the caller sees */
struct answer {
	struct e820_entry *map;
	unsigned int count;
	uint32_t e801_kib;
	uint32_t e801_blocks;
	uint32_t kib_88;
};

static const char *prog = "e820sim";

/** Print an error and exit */
static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	exit(status);
}

/** Append an item to a vector */
static void *vec_push(struct vec *vec, size_t size)
{
	if (vec->count == vec->room) {
		vec->room = (vec->room ? 2 * vec->room : 16);
		vec->items = realloc(vec->items, vec->room * size);
		if (!vec->items)
			die(2, "%s: out of memory", prog);
	}
	return ((char *)vec->items + size * vec->count++);
}

/** Parse a decimal or 0x hex number; return 0 on success */
static int parse_number(const char *text, uint64_t *value)
{
	unsigned int base = 10, digit;
	const char *p = text;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -1;
	for (*value = 0; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digit = (*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			digit = (*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			digit = (*p - 'A' + 10);
		else
			return -1;
		if (digit >= base || *value > (UINT64_MAX - digit) / base)
			return -1;
		*value = (*value * base + digit);
	}
	return 0;
}

/** Parse one line into the machine; return an error message or NULL */
static const char *parse_line(char *line, struct machine *machine)
{
	static char message[160];
	char *words[8];
	uint64_t num[ARRAY_SIZE(words)];
	unsigned int n = 0, i;
	char *word;

	line[strcspn(line, "#")] = '\0';
	for (word = strtok(line, " \t\r\n"); word;
	     word = strtok(NULL, " \t\r\n")) {
		if (n == ARRAY_SIZE(words))
			return "too many words";
		words[n++] = word;
	}
	if (!n)
		return NULL;
	for (i = 1; i < n; i++) {
		if (parse_number(words[i], &num[i]) != 0) {
			snprintf(message, sizeof(message),
				 "bad number '%.64s' (decimal or 0x hex)",
				 words[i]);
			return message;
		}
	}

	if (strcmp(words[0], "bios") == 0) {
		struct e820_entry *entry;

		if (n != 4 && n != 5)
			return "expected 'bios <start> <length> <type> "
			       "[<ext_attrs>]'";
		if (num[3] > UINT32_MAX || (n == 5 && num[4] > UINT32_MAX))
			return "type and ext_attrs must fit in 32 bits";
		entry = vec_push(&machine->bios, sizeof(*entry));
		entry->start = num[1];
		entry->len = num[2];
		entry->type = num[3];
		/* The hook notes attributes 1 ("valid") for 20-byte entries */
		entry->attrs = ((n == 5) ? num[4] : 1);
		entry->size = ((n == 5) ? E820_MAX_SIZE : E820_MIN_SIZE);
		return NULL;
	}
	if (strcmp(words[0], "hide") == 0) {
		struct hidden_region *region;

		if (n != 3)
			return "expected 'hide <start> <end>'";
		if (num[2] < num[1])
			return "hide end below start";
		/* Round exactly as the firmware does */
		hide_region(HIDE_IMAGE, num[1], num[2]);
		region = vec_push(&machine->hide, sizeof(*region));
		*region = hidden_regions[HIDE_IMAGE];
		return NULL;
	}
	snprintf(message, sizeof(message),
		 "unknown keyword '%.32s' (expected bios or hide)", words[0]);
	return message;
}

/** Read the input file */
static void parse_file(const char *path, struct machine *machine)
{
	const char *name = path;
	const char *error;
	char *line = NULL;
	size_t room = 0;
	unsigned int lineno = 0;
	FILE *file;

	if (strcmp(path, "-") == 0) {
		file = stdin;
		name = "<stdin>";
	} else {
		file = fopen(path, "r");
		if (!file)
			die(2, "%s: %s: %s", prog, path, strerror(errno));
	}
	while (getline(&line, &room, file) >= 0) {
		lineno++;
		error = parse_line(line, machine);
		if (error)
			die(2, "%s:%u: %s", name, lineno, error);
	}
	if (ferror(file))
		die(2, "%s: %s: read error", prog, name);
	free(line);
	if (file != stdin)
		fclose(file);
}

/** End of an entry, clipped at 2^64 */
static u128 entry_end(const struct e820_entry *entry)
{
	u128 end = ((u128)entry->start + entry->len);
	u128 top = ((u128)1 << 64);

	return ((end > top) ? top : end);
}

/** Top of the BIOS's usable memory contiguous from 1 MiB, below 4 GiB */
static uint64_t bios_extended_top(const struct vec *bios)
{
	const struct e820_entry *map = bios->items;
	uint64_t top = E820_1MB;
	size_t i;

	for (i = 0; i < bios->count; i++) {
		if (map[i].type == E820_TYPE_RAM && map[i].start <= top &&
		    entry_end(&map[i]) > top) {
			top = ((entry_end(&map[i]) > TOP_4G) ?
			       TOP_4G : (uint64_t)entry_end(&map[i]));
			if (top == TOP_4G)
				break;
			i = -1UL; /* rescan: entries may come in any order */
		}
	}
	return top;
}

/** Run the firmware's logic over the machine */
static void simulate(const struct machine *machine, long max_out,
		     struct answer *answer)
{
	const struct hidden_region *hide = machine->hide.items;
	unsigned int nhide = machine->hide.count;
	uint64_t top = bios_extended_top(&machine->bios);
	unsigned int needed;
	uint64_t kib;

	needed = e820_mangle(machine->bios.items, machine->bios.count, hide,
			     nhide, NULL, 0);
	answer->count = ((max_out >= 0 && (unsigned long)max_out < needed) ?
			 max_out : needed);
	answer->map = calloc(answer->count + 1, sizeof(answer->map[0]));
	if (!answer->map)
		die(2, "%s: out of memory", prog);
	e820_mangle(machine->bios.items, machine->bios.count, hide, nhide,
		    answer->map, answer->count);

	/* What the BIOS itself would answer */
	answer->e801_kib = (((top < E820_16MB ? top : E820_16MB) -
			     E820_1MB) >> 10);
	answer->e801_blocks = ((top > E820_16MB) ?
			       ((top - E820_16MB) >> 16) : 0);
	kib = ((top - E820_1MB) >> 10);
	answer->kib_88 = ((kib > 0xffff) ? 0xffff : kib);

	/* What the hook makes of it */
	e820_clip_e801(hide, nhide, &answer->e801_kib, &answer->e801_blocks);
	e820_clip_88(hide, nhide, &answer->kib_88);
}

static int cmp_u128(const void *a, const void *b)
{
	const u128 *x = a, *y = b;

	return ((*x > *y) - (*x < *y));
}

/** Is a byte covered by a usable entry of a map? */
static int map_usable(const struct e820_entry *map, size_t count, u128 byte)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (map[i].type == E820_TYPE_RAM && map[i].start <= byte &&
		    byte < entry_end(&map[i]))
			return 1;
	}
	return 0;
}

/** Does a hidden region touch [start, end)? */
static int range_hidden(const struct machine *machine, u128 start, u128 end)
{
	const struct hidden_region *hide = machine->hide.items;
	size_t i;

	for (i = 0; start < end && i < machine->hide.count; i++) {
		if (hide[i].start < hide[i].end && hide[i].start < end &&
		    start < hide[i].end)
			return 1;
	}
	return 0;
}

/** Check the answer against the input; return the first violation */
static const char *self_check(const struct machine *machine,
			      const struct answer *answer)
{
	static char message[160];
	const struct e820_entry *bios = machine->bios.items;
	const struct hidden_region *hide = machine->hide.items;
	const struct e820_entry *out = answer->map;
	size_t nbios = machine->bios.count, nhide = machine->hide.count;
	size_t i, j, ncuts = 0;
	u128 *cuts;
	uint64_t top = bios_extended_top(&machine->bios);

	/* Entries: none empty; others unchanged, in order */
	for (i = 0, j = 0; i < answer->count; i++) {
		if (!out[i].len)
			return "empty entry reported";
		if (out[i].type == E820_TYPE_RAM)
			continue;
		while (j < nbios &&
		       (bios[j].type == E820_TYPE_RAM || !bios[j].len))
			j++;
		if (j == nbios || memcmp(&out[i], &bios[j], sizeof(out[i])))
			return "non-usable entry changed or out of order";
		j++;
	}

	/* Bytes: cut at every boundary, check one byte per interval */
	cuts = calloc(2 * (nbios + nhide + answer->count) + 1, sizeof(*cuts));
	if (!cuts)
		die(2, "%s: out of memory", prog);
	for (i = 0; i < nbios; i++) {
		cuts[ncuts++] = bios[i].start;
		cuts[ncuts++] = entry_end(&bios[i]);
	}
	for (i = 0; i < nhide; i++) {
		cuts[ncuts++] = hide[i].start;
		cuts[ncuts++] = hide[i].end;
	}
	for (i = 0; i < answer->count; i++) {
		cuts[ncuts++] = out[i].start;
		cuts[ncuts++] = entry_end(&out[i]);
	}
	qsort(cuts, ncuts, sizeof(cuts[0]), cmp_u128);
	for (i = 0; i + 1 < ncuts; i++) {
		u128 byte = cuts[i];
		int usable, hidden, reported;

		if (cuts[i + 1] == byte)
			continue;
		usable = map_usable(bios, nbios, byte);
		reported = map_usable(out, answer->count, byte);
		hidden = range_hidden(machine, byte, byte + 1);
		if (reported == (usable && !hidden))
			continue;
		snprintf(message, sizeof(message), "%s at 0x%016llx",
			 (hidden && reported) ? "hidden byte reported usable" :
			 reported ? "unusable byte reported usable" :
			 "usable byte lost", (unsigned long long)byte);
		free(cuts);
		return message;
	}
	free(cuts);

	/* E801h and 88h: no hidden byte, nothing the BIOS did not have */
	if ((E820_1MB + ((uint64_t)answer->e801_kib << 10)) >
	    (top < E820_16MB ? top : E820_16MB) ||
	    (answer->e801_blocks &&
	     E820_16MB + ((uint64_t)answer->e801_blocks << 16) > top))
		return "e801 reports memory the BIOS did not";
	if (range_hidden(machine, E820_1MB,
			 E820_1MB + ((uint64_t)answer->e801_kib << 10)) ||
	    (answer->e801_blocks &&
	     range_hidden(machine, E820_16MB,
			  E820_16MB + ((uint64_t)answer->e801_blocks << 16))))
		return "e801 reports a hidden byte";
	if (answer->kib_88 > 0xffff ||
	    E820_1MB + ((uint64_t)answer->kib_88 << 10) > top)
		return "88 reports memory the BIOS did not";
	if (range_hidden(machine, E820_1MB,
			 E820_1MB + ((uint64_t)answer->kib_88 << 10)))
		return "88 reports a hidden byte";
	return NULL;
}

/** Print the answer */
static void print_answer(const struct answer *answer)
{
	const struct e820_entry *entry;
	unsigned int i;

	for (i = 0; i < answer->count; i++) {
		entry = &answer->map[i];
		printf("0x%016llx 0x%016llx %u", (unsigned long long)entry->start,
		       (unsigned long long)entry->len, entry->type);
		if (entry->size >= E820_MAX_SIZE)
			printf(" 0x%x", entry->attrs);
		putchar('\n');
	}
	printf("e801 %u %u\n", answer->e801_kib, answer->e801_blocks);
	printf("88 %u\n", answer->kib_88);
}

int main(int argc, char **argv)
{
	struct machine machine = { { 0 }, { 0 } };
	struct answer answer;
	const char *error;
	long max_out = -1;
	uint64_t value;
	int arg = 1;

	if (argc == 4 && strcmp(argv[1], "-n") == 0) {
		if (parse_number(argv[2], &value) != 0 || value > 0xffff)
			die(2, "%s: -n needs an entry count up to 65535", prog);
		max_out = value;
		arg = 3;
	}
	if (arg != argc - 1)
		die(2, "usage: %s [-n MAX] FILE   (FILE - reads stdin)", prog);

	parse_file(argv[arg], &machine);
	simulate(&machine, max_out, &answer);
	print_answer(&answer);
	if (fflush(stdout) != 0)
		die(2, "%s: write error", prog);
	error = self_check(&machine, &answer);
	if (error)
		die(1, "%s: invariant broken: %s", prog, error);
	free(answer.map);
	free(machine.bios.items);
	free(machine.hide.items);
	return 0;
}
