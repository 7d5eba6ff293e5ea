/** @file
 *
 * Test payload: a stand-in OS loader
 *
 * Built with -m16: real mode, CS=DS=ES=SS=0, everything it touches
 * below 64 KiB.  It asks INT 15h for the memory map exactly as a kernel
 * does (E820h with 20- and 24-byte buffers until EBX=0 or CF, then
 * E801h and 88h), prints every answer to QEMU's debug console together
 * with the firmware's own view (image, heap, umalloc blocks, hidden
 * regions) and the original BIOS answers, then exits QEMU.
 *
 * SeaBIOS answers E820h in 20 bytes and ends with EBX=0.  To reach the
 * hook's other paths, the payload then stands a fake BIOS
 * (payload_fake_bios in payloadcall.S) behind the hook's saved vector:
 * 24-byte entries with attributes, a trailing zero-length entry, and CF
 * set, not EBX=0, after the last entry.  It reads the map again through
 * the hook ("fake" lines) and puts the real vector back.
 * tests/boot/boot_test.py parses the transcript; one line per fact:
 *
 *   fw <what> <values...>
 *   bios <ecx> <start> <len> <type> <attrs> (original vector)
 *   e820 <bufsize> <n> <cf> <eax> <ebx> <ecx> <kept> <over>
 *        <start> <len> <type> <attrs>
 *   fakebios <ecx> <start> <len> <type> <attrs>
 *   fake <same fields as e820>
 *   e801 <how> <cf> <ax> <bx> <cx> <dx>     (how: hook or bios)
 *   e88 <how> <cf> <ax>
 *   stack <entry> <used> <size>   (high-water mark of a painted stack)
 *   done
 *
 * All numbers are hexadecimal without a prefix.  Must not call the
 * firmware's 32-bit functions (string.c): it only uses its own code.
 */

#include "compiler.h"
#include "hidemem.h"
#include "int15.h"
#include "boot.h"

/** QEMU debug console and isa-debug-exit ports */
#define DEBUGCON_PORT 0xe9
#define DEBUG_EXIT_PORT 0xf4

#define SMAP 0x534d4150

/** Register values the hook must give back unchanged */
#define PAYLOAD_ESI 0x5e5e1234
#define PAYLOAD_EBP 0xb0b05678
#define PAYLOAD_DS 0x1234

/** Caller-owned E820 buffer: larger than any answer, to catch overruns */
#define PAYLOAD_BUF 32
#define PAYLOAD_FILL 0xa5

/** Longest sequence accepted before declaring it endless */
#define PAYLOAD_MAX_CALLS 64

/** Registers in and out of one INT 15h call (payloadcall.S's layout) */
struct payload_regs {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint16_t es, ds, flags;
} __attribute__((packed));

void payload_int15(struct payload_regs *regs, int original);
void payload_main(void);

/** A fake BIOS entry: always the 24-byte form */
struct payload_fake_entry {
	uint64_t start;
	uint64_t len;
	uint32_t type;
	uint32_t attrs;
} __attribute__((packed));

/* payloadcall.S: the fake BIOS and where it keeps the real vector */
void payload_fake_bios(void);
extern uint32_t payload_bios_vector;

/** The fake BIOS map: RAM around the image and heap, a reserved range,
 * RAM above 4 GiB with non-volatile attributes, a trailing empty entry
 */
const struct payload_fake_entry payload_fake_map[] = {
	{ 0x0, 0x9fc00, 1, 1 },
	{ 0x100000, 0x3f00000, 1, 1 },
	{ 0xfffc0000, 0x40000, 2, 1 },
	{ 0x100000000ULL, 0x10000000, 1, 3 },
	{ 0x500000, 0, 1, 1 },
};

/** Entries in payload_fake_map, for payloadcall.S */
const uint32_t payload_fake_count = ARRAY_SIZE(payload_fake_map);

/** E820 buffer */
static uint8_t payload_buf[PAYLOAD_BUF];

/**
 * Write a byte to an I/O port
 *
 * @v value		Byte
 * @v port		Port
 */
static inline void payload_outb(uint8_t value, uint16_t port)
{
	__asm__ __volatile__("outb %b0, %w1" : : "a"(value), "Nd"(port));
}

/**
 * Print a string
 *
 * @v text		String
 */
static void put(const char *text)
{
	while (*text)
		payload_outb(*text++, DEBUGCON_PORT);
}

/**
 * Print a space and a number in hexadecimal
 *
 * @v value		Number
 */
static void put_hex(uint64_t value)
{
	char digits[17];
	char *digit = &digits[16];

	*digit = '\0';
	do {
		*(--digit) = "0123456789abcdef"[value & 0xf];
		value >>= 4;
	} while (value);
	payload_outb(' ', DEBUGCON_PORT);
	put(digit);
}

/**
 * Print a labelled range
 *
 * @v what		Label
 * @v start		Start
 * @v end		End (exclusive)
 */
static void put_range(const char *what, uint64_t start, uint64_t end)
{
	put("fw ");
	put(what);
	put_hex(start);
	put_hex(end);
	put("\n");
}

/**
 * Print the firmware's own view of the memory it uses
 */
static void payload_firmware(void)
{
	const struct boot_report *report = &boot_report;
	unsigned int i;

	put_range("image", (uintptr_t)__image_start,
		  (uintptr_t)__mb_heap_bss_start);
	put_range("heap", (uintptr_t)__mb_heap_bss_start,
		  (uintptr_t)__mb_heap_bss_end);
	for (i = 0; i < BOOT_UBLOCKS; i++) {
		put_range("ublock", report->ublock[i].start,
			  (uint64_t)report->ublock[i].start +
				  report->ublock[i].size);
	}
	for (i = 0; i < HIDE_SLOTS; i++) {
		put_range("hide", hidden_regions[i].start,
			  hidden_regions[i].end);
	}
	put("fw big");
	put_hex(report->big_size);
	put_hex(report->big_ptr);
	put_hex(report->big_unchanged);
	put("\nfw checks");
	put_hex(report->umalloc_rc & 0xff);
	put_hex(report->heap_ok);
	put_hex(report->ublock_ok);
	put("\n");
}

/**
 * Make one E820h call into payload_buf
 *
 * @v regs		Registers (EBX and ECX set by the caller)
 * @v original		Call the original vector
 */
static void payload_e820_call(struct payload_regs *regs, int original)
{
	uint32_t linear = (uintptr_t)payload_buf;
	unsigned int i;

	for (i = 0; i < PAYLOAD_BUF; i++)
		payload_buf[i] = PAYLOAD_FILL;
	regs->eax = 0xe820;
	regs->edx = SMAP;
	regs->es = (linear >> 4);
	regs->edi = (linear & 0xf);
	regs->esi = PAYLOAD_ESI;
	regs->ebp = PAYLOAD_EBP;
	regs->ds = PAYLOAD_DS;
	/* CF set on entry: the hook must clear it itself */
	regs->flags = 0x0003;
	payload_int15(regs, original);
}

/**
 * Print four E820 entry fields
 */
static void put_entry(void)
{
	const uint32_t *field = (const uint32_t *)payload_buf;

	put_hex(((uint64_t)field[1] << 32) | field[0]);
	put_hex(((uint64_t)field[3] << 32) | field[2]);
	put_hex(field[4]);
	put_hex(field[5]);
	put("\n");
}

/**
 * Print the original BIOS map, read through the saved vector
 */
static void payload_bios_map(void)
{
	struct payload_regs regs;
	unsigned int n = 0;

	regs.ebx = 0;
	do {
		regs.ecx = E820_MAX_SIZE;
		payload_e820_call(&regs, 1);
		if ((regs.flags & 1) || regs.eax != SMAP)
			break;
		put("bios");
		put_hex(regs.ecx);
		put_entry();
	} while (regs.ebx && ++n < PAYLOAD_MAX_CALLS);
}

/**
 * Read the whole hooked map with one buffer size
 *
 * @v label		Line keyword ("e820" or "fake")
 * @v size		Buffer size the caller announces in ECX
 */
static void payload_e820(const char *label, uint32_t size)
{
	struct payload_regs regs;
	unsigned int n = 0;
	unsigned int over;
	unsigned int i;
	int kept;

	regs.ebx = 0;
	do {
		regs.ecx = size;
		payload_e820_call(&regs, 0);
		kept = (regs.esi == PAYLOAD_ESI && regs.ebp == PAYLOAD_EBP &&
			regs.ds == PAYLOAD_DS &&
			regs.es == ((uintptr_t)payload_buf >> 4) &&
			regs.edi == ((uintptr_t)payload_buf & 0xf) &&
			regs.edx == SMAP);
		/* Bytes written past what ECX claims, or past the buffer */
		over = 0;
		for (i = ((regs.ecx < size) ? regs.ecx : size);
		     i < PAYLOAD_BUF; i++) {
			over += (payload_buf[i] != PAYLOAD_FILL);
		}
		put(label);
		put_hex(size);
		put_hex(n);
		put_hex(regs.flags & 1);
		put_hex(regs.eax);
		put_hex(regs.ebx);
		put_hex(regs.ecx);
		put_hex(kept);
		put_hex(over);
		put_entry();
		if ((regs.flags & 1) || regs.eax != SMAP)
			break;
	} while (regs.ebx && ++n < PAYLOAD_MAX_CALLS);
}

/**
 * Ask E801h and 88h, through the hook and from the BIOS itself
 *
 * @v original		Call the original vector
 */
static void payload_legacy(int original)
{
	const char *how = (original ? " bios" : " hook");
	struct payload_regs regs;

	/* As Linux does: CX/DX zeroed, since some BIOSes leave them */
	regs.eax = 0xe801;
	regs.ebx = regs.ecx = regs.edx = 0;
	regs.flags = 0x0002;
	payload_int15(&regs, original);
	put("e801");
	put(how);
	put_hex(regs.flags & 1);
	put_hex(regs.eax & 0xffff);
	put_hex(regs.ebx & 0xffff);
	put_hex(regs.ecx & 0xffff);
	put_hex(regs.edx & 0xffff);
	put("\ne88");
	put(how);
	regs.eax = 0x8800;
	regs.flags = 0x0002;
	payload_int15(&regs, original);
	put_hex(regs.flags & 1);
	put_hex(regs.eax & 0xffff);
	put("\n");
}

/**
 * Read the map through the hook with the fake BIOS behind it
 */
static void payload_fake(void)
{
	const struct payload_fake_entry *entry;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(payload_fake_map); i++) {
		entry = &payload_fake_map[i];
		put("fakebios");
		put_hex(E820_MAX_SIZE);
		put_hex(entry->start);
		put_hex(entry->len);
		put_hex(entry->type);
		put_hex(entry->attrs);
		put("\n");
	}
	payload_bios_vector = int15_orig;
	int15_orig = (uintptr_t)payload_fake_bios;
	payload_e820("fake", E820_MIN_SIZE);
	payload_e820("fake", E820_MAX_SIZE);
	int15_orig = payload_bios_vector;
}

/**
 * Paint a stack (the same pattern prefix.S paints)
 *
 * @v bottom		Lowest byte
 * @v top		End
 */
static void stack_paint(volatile uint8_t *bottom, const uint8_t *top)
{
	while (bottom < top)
		*bottom++ = (STACK_PAINT & 0xff);
}

/**
 * Print a stack's high-water mark: from its top down to the lowest byte
 * that lost its paint
 *
 * @v entry		Entry point that used it ([stack.entries] name)
 * @v bottom		Lowest byte
 * @v top		End
 */
static void put_stack(const char *entry, const volatile uint8_t *bottom,
		      const uint8_t *top)
{
	const volatile uint8_t *byte = bottom;

	while (byte < top && *byte == (STACK_PAINT & 0xff))
		byte++;
	put("stack ");
	put(entry);
	put_hex(top - byte);
	put_hex(top - bottom);
	put("\n");
}

/**
 * Play the OS loader, then leave QEMU
 */
void payload_main(void)
{
	payload_firmware();
	/* Only boot_main() has run on the protected-mode stack yet */
	put_stack("boot", pm_stack, pm_stack_top);
	stack_paint(pm_stack, pm_stack_top);
	payload_bios_map();
	payload_e820("e820", E820_MIN_SIZE);
	payload_e820("e820", E820_MAX_SIZE);
	payload_legacy(0);
	payload_legacy(1);
	payload_fake();
	/* Every INT 15h call the hook serves has run */
	put_stack("int15", pm_stack, pm_stack_top);
	put_stack("payload", rm_stack, rm_stack_top);
	put("done\n");
	payload_outb(0, DEBUG_EXIT_PORT);
}
