/** @file
 *
 * libFuzzer harness: umalloc under arbitrary maps and operation sequences
 *
 * The input first places a page-aligned arena in physical memory (at 0,
 * 1 MiB, just below 4 GiB's top page or elsewhere), builds an E820 map
 * whose only whole usable pages are in the arena (its entry may start
 * and end off a page; reserved entries, sub-page usable entries and
 * usable memory above 4 GiB around it) and hides an image and a heap
 * inside it.  Then it drives umalloc/urealloc/ufree on a table of slots.
 *
 * After every operation:
 * - every live block is page-aligned, lies with its header inside the
 *   arena, outside the image and heap, and overlaps no other block; the
 *   patterns at both ends of each block are intact;
 * - the umalloc slot is [page of the lowest header, top) with a top that
 *   never moves, and empty when nothing is live; a failed call leaves
 *   the whole hidden table unchanged;
 * - the map the hook would report (e820_mangle over all slots) shows no
 *   byte of a live block or of any hidden region as usable, and loses no
 *   usable byte outside the hidden regions.
 */

#include <stdint.h>
#include <string.h>
#include "umalloc.h"
#include "hidemem.h"
#include "cursor.h"

#define PAGE 4096ULL
#define ARENA_PAGES 64
#define ARENA (ARENA_PAGES * PAGE)
#define SLOTS 16
#define PATTERN_LEN 64
/** The heap engine's header below each block (malloc.h's HEAP_ALIGN) */
#define HEADER (2 * sizeof(size_t))
#define MAX_MAP 8
#define MAX_OUT 32

static uint8_t arena[ARENA] __attribute__((aligned(4096)));

struct slot {
	uint8_t *ptr;
	size_t size;
	uint8_t seed;
};

static struct slot slots[SLOTS];
static struct e820_entry map[MAX_MAP];
static unsigned int map_len;
static uint64_t arena_phys;
static uint64_t top;

static uint64_t phys(const void *ptr)
{
	return virt_to_phys(ptr);
}

/** Pick a size: small, a few pages, the whole arena, or hostile */
static size_t next_size(struct cursor *c)
{
	static const size_t hostile[] = { 0, 1, 7, 8, 100, 4095 };
	unsigned int mode = next_byte(c);
	unsigned int lo = next_byte(c);

	switch (mode >> 6) {
	case 0:
		return lo;
	case 1:
		return ((mode & 0x3f) << 8) | lo;
	case 2:
		return ((mode & 0x3f) % (ARENA_PAGES + 2)) * PAGE + lo - 128;
	default:
		return SIZE_MAX - hostile[lo % 6];
	}
}

static void add_entry(uint64_t start, uint64_t len, uint32_t type)
{
	if (map_len < MAX_MAP)
		map[map_len++] = (struct e820_entry){ .start = start, .len = len,
						      .type = type, .size = 20 };
}

/** Place the arena, build the map, hide an image and a heap in it */
static void setup(struct cursor *c)
{
	static const uint64_t bases[] = {
		0, 0x100000, 0x100000000ULL - 2 * ARENA, 0xc0000000ULL,
	};
	unsigned int head = next_byte(c) % 0x300;
	unsigned int tail = next_byte(c) % 0x300;
	unsigned int i, n;
	uint64_t start;
	uint64_t end;

	arena_phys = bases[next_byte(c) % 4];
	if (arena_phys == 0x100000000ULL - 2 * ARENA)
		arena_phys += ARENA;	/* ends at 4 GiB: top page lost */
	host_phys_offset = ((intptr_t)arena - (intptr_t)arena_phys);
	map_len = 0;
	add_entry(arena_phys + head, ARENA - head - tail, E820_TYPE_RAM);
	n = next_byte(c) % 4;
	for (i = 0; i < n; i++) {
		switch (next_byte(c) % 3) {
		case 0:	/* reserved, anywhere, even over the arena */
			add_entry(arena_phys + next_byte(c) * PAGE / 4,
				  next_byte(c) * PAGE, 2);
			break;
		case 1:	/* usable but no whole page */
			add_entry(arena_phys + ARENA + 0x10000 + 0x800, 0x700,
				  E820_TYPE_RAM);
			break;
		default:	/* usable above 4 GiB, any length */
			add_entry(0x100000000ULL + next_byte(c) * PAGE,
				  next_byte(c) * 0x100000ULL + 1, E820_TYPE_RAM);
			break;
		}
	}
	memset(hidden_regions, 0, sizeof(hidden_regions));
	for (i = HIDE_IMAGE; i <= HIDE_HEAP; i++) {
		start = arena_phys + (next_byte(c) % ARENA_PAGES) * PAGE +
			next_byte(c);
		end = start + next_byte(c) * 0x80;
		if (end > arena_phys + ARENA)
			end = arena_phys + ARENA;
		if (next_byte(c) & 1)
			hide_region(i, start, end);
	}
	memset(slots, 0, sizeof(slots));
	top = 0;
}

/** Pattern byte at offset @c i of a block: head bytes count up, the
 * last bytes (where they are not head bytes) count down */
static uint8_t pattern(const struct slot *s, size_t i)
{
	if (i < PATTERN_LEN)
		return (uint8_t)(s->seed + i);
	return (uint8_t)(s->seed + 3 * (s->size - 1 - i));
}

static int patterned(const struct slot *s, size_t i)
{
	return (i < PATTERN_LEN || i + PATTERN_LEN >= s->size);
}

static void fill(struct slot *s)
{
	for (size_t i = 0; i < s->size; i++) {
		if (patterned(s, i))
			s->ptr[i] = pattern(s, i);
	}
}

/** Check the pattern in the first @c size bytes (the block's whole size
 * checks the tail too) */
static void verify(const struct slot *s, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (patterned(s, i) && (i < PATTERN_LEN || size == s->size) &&
		    s->ptr[i] != pattern(s, i))
			__builtin_trap();
	}
}

/** Do [a, a_end) and [b, b_end) share a byte?  (Empty ranges never do.) */
static int overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return (a < a_end && b < b_end && a < b_end && b < a_end);
}

/** Every invariant of the file comment */
static void check(void)
{
	struct e820_entry out[MAX_OUT];
	const struct hidden_region *mine = &hidden_regions[HIDE_UMALLOC];
	uint64_t lowest = UINT64_MAX;
	uint64_t start, end, o_end, covered;
	unsigned int i, j, n;

	for (i = 0; i < SLOTS; i++) {
		if (!slots[i].ptr)
			continue;
		start = phys(slots[i].ptr) - HEADER;
		end = phys(slots[i].ptr) + slots[i].size;
		if ((phys(slots[i].ptr) & (PAGE - 1)) || start < arena_phys ||
		    end > arena_phys + ARENA || end > top)
			__builtin_trap();
		for (j = HIDE_IMAGE; j <= HIDE_HEAP; j++) {
			if (overlaps(start, end, hidden_regions[j].start,
				     hidden_regions[j].end))
				__builtin_trap();
		}
		for (j = 0; j < i; j++) {
			if (slots[j].ptr &&
			    overlaps(start, end, phys(slots[j].ptr) - HEADER,
				     phys(slots[j].ptr) + slots[j].size))
				__builtin_trap();
		}
		verify(&slots[i], slots[i].size);
		if (start < lowest)
			lowest = start;
	}

	/* The slot: exactly from the lowest header's page to the top */
	if (lowest == UINT64_MAX) {
		if (mine->start != mine->end)
			__builtin_trap();
	} else if (mine->start != (lowest & ~(PAGE - 1)) ||
		   mine->end != top) {
		__builtin_trap();
	}

	/* The hook's map: nothing hidden usable, nothing else lost */
	n = e820_mangle(map, map_len, hidden_regions, HIDE_SLOTS, out,
			MAX_OUT);
	if (n > MAX_OUT)
		__builtin_trap();
	for (i = 0; i < n; i++) {
		if (out[i].type != E820_TYPE_RAM)
			continue;
		o_end = out[i].start + out[i].len;
		for (j = 0; j < HIDE_SLOTS; j++) {
			if (overlaps(out[i].start, o_end, hidden_regions[j].start,
				     hidden_regions[j].end))
				__builtin_trap();
		}
	}
	/* Usable arena bytes = reported + hidden, counted page by page */
	for (start = arena_phys; start < arena_phys + ARENA; start += PAGE) {
		int usable = 0, hidden = 0, reported = 0;

		for (i = 0; i < map_len; i++)
			usable |= (map[i].type == E820_TYPE_RAM &&
				   map[i].start <= start &&
				   start + PAGE <= map[i].start + map[i].len);
		for (j = 0; j < HIDE_SLOTS; j++)
			hidden |= overlaps(start, start + PAGE,
					   hidden_regions[j].start,
					   hidden_regions[j].end);
		for (i = 0; i < n; i++)
			reported |= (out[i].type == E820_TYPE_RAM &&
				     out[i].start <= start &&
				     start + PAGE <= out[i].start + out[i].len);
		covered = (usable && !hidden);
		if (covered != (uint64_t)reported)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cursor c = { data, len };
	struct hidden_region before[HIDE_SLOTS];
	struct slot *s;
	unsigned int op;
	size_t size;
	uint8_t *got;
	uint8_t generation = 0;

	setup(&c);
	if (umalloc_init(map, map_len) != 0)
		return 0;
	while (c.len) {
		op = next_byte(&c);
		s = &slots[op % SLOTS];
		memcpy(before, hidden_regions, sizeof(before));
		if ((op >> 6) == 3) {
			ufree(s->ptr);
			s->ptr = NULL;
		} else {
			size = next_size(&c);
			got = ((op >> 6) == 2) ? urealloc(s->ptr, size) :
						 (s->ptr ? s->ptr : umalloc(size));
			if ((op >> 6) == 2 && s->ptr && !size) {
				/* urealloc(ptr, 0) frees */
				s->ptr = NULL;
			} else if (got && got != s->ptr) {
				if (s->ptr)
					verify(&(struct slot){ got, s->size,
							       s->seed },
					       size < s->size ? size : s->size);
				s->ptr = got;
				s->size = size;
				s->seed = ++generation;
				fill(s);
			} else if (got) {
				if (size != s->size && (op >> 6) == 2) {
					verify(s, size < s->size ? size : s->size);
					s->size = size;
					fill(s);
				}
			} else if (memcmp(before, hidden_regions,
					  sizeof(before))) {
				__builtin_trap();
			}
		}
		if (!top && hidden_regions[HIDE_UMALLOC].end)
			top = hidden_regions[HIDE_UMALLOC].end;
		check();
	}
	for (op = 0; op < SLOTS; op++)
		ufree(slots[op].ptr);
	if (hidden_regions[HIDE_UMALLOC].start !=
	    hidden_regions[HIDE_UMALLOC].end)
		__builtin_trap();
	return 0;
}
