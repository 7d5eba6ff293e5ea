/*
 * membudget.read._dwarf: the DWARF reader's per-DIE walk, in C.
 *
 * A large image has 10^5..10^6 debugging entries (libpython: 851k); even
 * stepping over most of them by DW_AT_sibling, decoding abbreviations,
 * forms and type chains one Python statement at a time was a fifth of a
 * report.  dwarf.py keeps the sections (decompression, relocation), the
 * unit names and code ranges, and every error message; this decodes unit
 * headers, abbreviation tables and DIEs, and walks a unit's top level for
 * variables with a static address and the byte sizes of their types.
 *
 * The bytes are untrusted: every read is checked against its section, a
 * position only grows (saturating, never wrapping), type chains stop at
 * depth 8.  A problem is ValueError(kind, values...) that dwarf.py turns
 * into its message.  LEB128 values wider than 64 bits saturate.
 *
 * Built against the limited API (abi3): one .so serves every CPython 3.11+.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define TAG_ARRAY 0x01
#define TAG_SUBRANGE 0x21
#define TAG_VARIABLE 0x34

#define AT_SIBLING 0x01
#define AT_LOCATION 0x02
#define AT_BYTE_SIZE 0x0b
#define AT_UPPER_BOUND 0x2f
#define AT_COUNT 0x37
#define AT_SPECIFICATION 0x47
#define AT_TYPE 0x49

#define OP_ADDR 0x03
#define OP_ADDRX 0xa1
#define OP_GNU_ADDR_INDEX 0xfb

#define FORM_IMPLICIT_CONST 0x21
#define FORM_INDIRECT 0x16

#define MAX_TYPE_DEPTH 8
#define CAPSULE "membudget.read._dwarf.walker"

/* One attribute of an abbreviation */
struct spec {
	uint64_t attr, form;
	int64_t cnst;		/* DW_FORM_implicit_const's value */
};

/* How die() reads one attribute in a unit kind: the kind of form and, for
 * the attributes the walk uses, where it keeps the value (slot, 0: none) */
enum { OP_FIXED, OP_LAX, OP_ULEB, OP_VALUE };
enum { S_NONE, S_SIBLING, S_LOCATION, S_TYPE, S_SPEC, S_BYTE_SIZE, S_COUNT, S_UPPER, NSLOTS };

struct op {
	unsigned char kind, width, slot;
};

/* One abbreviation, and how to step over its DIEs in the unit kind plan_ctx */
struct abbrev {
	uint64_t code, tag;
	size_t first, nattr;	/* into table.specs */
	int children;
	unsigned plan_ctx;	/* 0: not planned yet */
	int64_t fixed;		/* bytes of all attributes, -1 if some vary */
	int64_t sib_at;		/* where DW_AT_sibling sits if all before it are fixed, else -1 */
	unsigned sib_width;
};

/* The abbreviation table at one offset of .debug_abbrev */
struct table {
	uint64_t offset;
	struct abbrev *ab;
	size_t n;
	struct spec *specs;
	struct op *ops;		/* beside specs, for each abbreviation's plan_ctx */
	size_t *slots;		/* hash of codes: index into ab + 1, 0 empty */
	size_t mask;
};

/* A kept type size: (ref, depth) -> size (a reference, None included).
 * Only entries of the current unit's generation count: a new unit starts
 * a new one instead of clearing the table. */
struct memo {
	uint64_t ref;
	int depth;
	unsigned gen;		/* 0: never used */
	PyObject *size;		/* NULL, or held until the slot is reused */
};

struct walker {
	Py_buffer info, abbrev, addr;
	int big;
	uint64_t unit_attrs[16];	/* the unit DIE's attributes unit() returns */
	size_t nunit_attrs;
	struct table **tables;	/* hash by offset, NULL empty */
	size_t tables_mask, ntables;
	/* the unit of the last unit() */
	int have_unit;
	uint64_t offset, end;
	unsigned version, addr_size, offset_size, ctx;
	struct table *table;
	struct memo *memo;
	size_t memo_mask, nmemo;
	unsigned gen;
};

/* A decoded attribute value */
enum { V_ABSENT, V_NONE, V_UINT, V_SINT, V_WIDE, V_BLOCK, V_STRING };

struct val {
	int kind;
	uint64_t form;
	uint64_t u;		/* V_UINT, V_SINT (as int64), V_WIDE's low half */
	uint64_t hi;		/* V_WIDE's high half */
	uint64_t at, len;	/* V_BLOCK, V_STRING: bytes in .debug_info */
};

/* The attributes of a DIE the walk uses, the last of each (as a dict keeps) */
struct die {
	int has_tag;		/* 0 for the null entry that ends a children list */
	uint64_t tag;
	int children;
	uint64_t end;
	struct val v[NSLOTS];	/* by slot */
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Whether n bytes at pos lie within size bytes */
static int avail(uint64_t pos, uint64_t n, uint64_t size)
{
	return pos <= size && n <= size - pos;
}

static inline uint64_t getn(const unsigned char *p, unsigned n, int big)
{
	uint64_t v = 0;
	unsigned i;

	if (!big) {
		/* the usual widths as single loads */
		switch (n) {
		case 1:
			return p[0];
		case 2:
			return (uint64_t)p[0] | (uint64_t)p[1] << 8;
		case 4:
			return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
			       (uint64_t)p[3] << 24;
		case 8:
			return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
			       (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
			       (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
		}
	}

	if (big)
		for (i = 0; i < n; i++)
			v = v << 8 | p[i];
	else
		for (i = n; i-- > 0;)
			v = v << 8 | p[i];
	return v;
}

static PyObject *problem(const char *format, ...)
{
	va_list va;
	PyObject *args;

	va_start(va, format);
	args = Py_VaBuildValue(format, va);
	va_end(va);
	if (args) {
		PyErr_SetObject(PyExc_ValueError, args);
		Py_DECREF(args);
	}
	return NULL;
}

static int past(const char *section, uint64_t pos)
{
	problem("(ssK)", "past", section, (unsigned long long)pos);
	return -1;
}

/* Unsigned LEB128 at *pos: 0, or -1 when it runs past size */
static int uleb_long(const unsigned char *b, uint64_t size, uint64_t *pos, uint64_t *out)
{
	uint64_t p = *pos, v = 0;
	unsigned shift = 0, byte;
	int lost = 0;

	do {
		if (p >= size)
			return -1;
		byte = b[p++];
		if (shift < 64) {
			uint64_t part = byte & 0x7f;

			if (shift && part >> (64 - shift))
				lost = 1;
			v |= part << shift;
			shift += 7;
		} else if (byte & 0x7f) {
			lost = 1;
		}
	} while (byte & 0x80);
	*out = lost ? UINT64_MAX : v;
	*pos = p;
	return 0;
}

/* uleb_long(), a byte's worth (nearly every code and attribute) inline */
static inline int uleb(const unsigned char *b, uint64_t size, uint64_t *pos, uint64_t *out)
{
	if (*pos < size && b[*pos] < 0x80) {
		*out = b[(*pos)++];
		return 0;
	}
	return uleb_long(b, size, pos, out);
}

/* Signed LEB128 at *pos, clamped to int64: 0, or -1 past size */
static int sleb(const unsigned char *b, uint64_t size, uint64_t *pos, int64_t *out)
{
	uint64_t p = *pos, v = 0;
	unsigned shift = 0, byte;
	int ones = 0, zeros = 0, neg;

	do {
		if (p >= size)
			return -1;
		byte = b[p++];
		if (shift < 64) {
			uint64_t part = byte & 0x7f;

			v |= part << shift;
			if (shift > 57) {
				/* the bits above 63 */
				uint64_t high = part >> (64 - shift);
				unsigned nhigh = shift + 7 - 64;

				ones |= high != 0;
				zeros |= high != ((uint64_t)1 << nhigh) - 1;
			}
			shift += 7;
		} else {
			ones |= (byte & 0x7f) != 0;
			zeros |= (byte & 0x7f) != 0x7f;
			if (shift < 1000)
				shift += 7;
		}
	} while (byte & 0x80);
	neg = (byte & 0x40) != 0;
	if (shift < 64) {
		if (neg)
			v |= ~(uint64_t)0 << shift;
		*out = (int64_t)v;
	} else if (neg) {
		/* it fits when bit 63 and every bit above are the sign */
		*out = (v >> 63) && !zeros ? (int64_t)v : INT64_MIN;
	} else {
		*out = !(v >> 63) && !ones ? (int64_t)v : INT64_MAX;
	}
	*pos = p;
	return 0;
}

/* Bytes of a form whatever the unit, -1 for the others (dwarf.py's FIXED_FORMS) */
static int fixed_width(uint64_t form)
{
	switch (form) {
	case 0x19: case 0x21:
		return 0;
	case 0x0b: case 0x0c: case 0x11: case 0x25: case 0x29:
		return 1;
	case 0x05: case 0x12: case 0x26: case 0x2a:
		return 2;
	case 0x27: case 0x2b:
		return 3;
	case 0x06: case 0x13: case 0x1c: case 0x28: case 0x2c:
		return 4;
	case 0x07: case 0x14: case 0x20: case 0x24:
		return 8;
	case 0x1e:
		return 16;
	default:
		return -1;
	}
}

/* Forms offset_size bytes wide: strp, sec_offset, strp_sup, line_strp, GNU alt */
static int offset_form(uint64_t form)
{
	return form == 0x0e || form == 0x17 || form == 0x1d || form == 0x1f ||
	       form == 0x1f20 || form == 0x1f21;
}

static int uleb_form(uint64_t form)
{
	return form == 0x0f || form == 0x15 || form == 0x1a || form == 0x1b || form == 0x22 ||
	       form == 0x23 || form == 0x1f01 || form == 0x1f02;
}

/* ref1, ref2, ref4, ref8, ref_udata */
static int ref_form(uint64_t form)
{
	return form >= 0x11 && form <= 0x15;
}

/* data1/2/4/8, sdata, udata, implicit_const */
static int data_form(uint64_t form)
{
	return form == 0x05 || form == 0x06 || form == 0x07 || form == 0x0b || form == 0x0d ||
	       form == 0x0f || form == 0x21;
}

/* typedef, const, volatile, restrict, atomic */
static int wrapper_tag(uint64_t tag)
{
	return tag == 0x16 || tag == 0x26 || tag == 0x35 || tag == 0x37 || tag == 0x47;
}

/* Bytes a form takes in the current unit, -1 if it varies */
static int form_size(const struct walker *w, uint64_t form)
{
	int width = fixed_width(form);

	if (width >= 0)
		return width;
	if (form == 0x01 || (form == 0x10 && w->version < 3))
		return (int)w->addr_size;
	if (form == 0x10 || offset_form(form))
		return (int)w->offset_size;
	return -1;
}

/* --- abbreviation tables ------------------------------------------------ */

static size_t code_hash(uint64_t code, size_t mask)
{
	return (size_t)((code * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static struct abbrev *lookup(const struct table *t, uint64_t code)
{
	size_t i;

	if (!t->n)
		return NULL;
	for (i = code_hash(code, t->mask);; i = (i + 1) & t->mask) {
		size_t k = t->slots[i];

		if (!k)
			return NULL;
		if (t->ab[k - 1].code == code)
			return &t->ab[k - 1];
	}
}

static void free_table(struct table *t)
{
	if (!t)
		return;
	PyMem_Free(t->ab);
	PyMem_Free(t->specs);
	PyMem_Free(t->ops);
	PyMem_Free(t->slots);
	PyMem_Free(t);
}

/* Grow *p (of *cap items of size) to hold n + 1 */
static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;
	size_t want;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : 16;
	if (want > PY_SSIZE_T_MAX / size) {
		PyErr_NoMemory();
		return -1;
	}
	q = PyMem_Realloc(*p, want * size);
	if (!q) {
		PyErr_NoMemory();
		return -1;
	}
	*p = q;
	*cap = want;
	return 0;
}

/* Decode the abbreviation table at offset (a later duplicate code wins) */
static struct table *parse_table(struct walker *w, uint64_t offset)
{
	const unsigned char *b = w->abbrev.buf;
	uint64_t size = (uint64_t)w->abbrev.len, pos = offset;
	size_t cap_ab = 0, cap_specs = 0, nspecs = 0, i, slots = 1;
	struct table *t = PyMem_Calloc(1, sizeof(*t));

	if (!t) {
		PyErr_NoMemory();
		return NULL;
	}
	t->offset = offset;
	for (;;) {
		uint64_t code, tag;
		struct abbrev *a;

		if (uleb(b, size, &pos, &code))
			goto past;
		if (code == 0)
			break;
		if (uleb(b, size, &pos, &tag) || pos >= size)
			goto past;
		if (grow((void **)&t->ab, &cap_ab, t->n, sizeof(*t->ab)))
			goto fail;
		a = &t->ab[t->n++];
		memset(a, 0, sizeof(*a));
		a->code = code;
		a->tag = tag;
		a->children = b[pos++] != 0;
		a->first = nspecs;
		for (;;) {
			uint64_t attr, form;
			int64_t cnst = 0;

			if (uleb(b, size, &pos, &attr) || uleb(b, size, &pos, &form))
				goto past;
			if (attr == 0 && form == 0)
				break;
			if (form == FORM_IMPLICIT_CONST && sleb(b, size, &pos, &cnst))
				goto past;
			if (grow((void **)&t->specs, &cap_specs, nspecs, sizeof(*t->specs)))
				goto fail;
			t->specs[nspecs].attr = attr;
			t->specs[nspecs].form = form;
			t->specs[nspecs].cnst = cnst;
			nspecs++;
		}
		a->nattr = nspecs - a->first;
	}
	/* a table per unit: no slack kept (2000 units, 2000 tables) */
	if (t->n) {
		void *fit = PyMem_Realloc(t->ab, t->n * sizeof(*t->ab));

		if (fit)
			t->ab = fit;
	}
	if (nspecs) {
		void *fit = PyMem_Realloc(t->specs, nspecs * sizeof(*t->specs));

		if (fit)
			t->specs = fit;
	}
	while (slots < 2 * t->n)
		slots *= 2;
	t->mask = slots - 1;
	t->slots = PyMem_Calloc(slots, sizeof(*t->slots));
	t->ops = PyMem_Calloc(nspecs ? nspecs : 1, sizeof(*t->ops));
	if (!t->slots || !t->ops) {
		PyErr_NoMemory();
		goto fail;
	}
	for (i = 0; i < t->n; i++) {
		size_t k;

		for (k = code_hash(t->ab[i].code, t->mask);; k = (k + 1) & t->mask) {
			if (!t->slots[k] || t->ab[t->slots[k] - 1].code == t->ab[i].code) {
				t->slots[k] = i + 1;
				break;
			}
		}
	}
	return t;
past:
	past(".debug_abbrev", pos);
fail:
	free_table(t);
	return NULL;
}

static size_t offset_hash(uint64_t offset, size_t mask)
{
	return (size_t)((offset * 0x9E3779B97F4A7C15ull) >> 29) & mask;
}

/* The abbreviation table at offset, decoded once for all units */
static struct table *get_table(struct walker *w, uint64_t offset)
{
	struct table *t;
	size_t i;

	if (w->tables) {
		for (i = offset_hash(offset, w->tables_mask); w->tables[i];
		     i = (i + 1) & w->tables_mask)
			if (w->tables[i]->offset == offset)
				return w->tables[i];
	}
	if (2 * (w->ntables + 1) > w->tables_mask + 1 || !w->tables) {
		size_t cap = w->tables ? 2 * (w->tables_mask + 1) : 64, k;
		struct table **fresh = PyMem_Calloc(cap, sizeof(*fresh));

		if (!fresh) {
			PyErr_NoMemory();
			return NULL;
		}
		for (k = 0; w->tables && k <= w->tables_mask; k++) {
			if (!w->tables[k])
				continue;
			for (i = offset_hash(w->tables[k]->offset, cap - 1); fresh[i];
			     i = (i + 1) & (cap - 1))
				;
			fresh[i] = w->tables[k];
		}
		PyMem_Free(w->tables);
		w->tables = fresh;
		w->tables_mask = cap - 1;
	}
	t = parse_table(w, offset);
	if (!t)
		return NULL;
	for (i = offset_hash(offset, w->tables_mask); w->tables[i]; i = (i + 1) & w->tables_mask)
		;
	w->tables[i] = t;
	w->ntables++;
	return t;
}

static unsigned char slot_of(uint64_t attr)
{
	switch (attr) {
	case AT_SIBLING: return S_SIBLING;
	case AT_LOCATION: return S_LOCATION;
	case AT_TYPE: return S_TYPE;
	case AT_SPECIFICATION: return S_SPEC;
	case AT_BYTE_SIZE: return S_BYTE_SIZE;
	case AT_COUNT: return S_COUNT;
	case AT_UPPER_BOUND: return S_UPPER;
	default: return S_NONE;
	}
}

/* Plan how die() reads and the walk steps over DIEs of a in the current
 * unit's kind: ops, and where a DIE ends or its sibling sits when that is
 * a fixed distance from its code */
static void plan(const struct walker *w, struct abbrev *a)
{
	const struct spec *s = w->table->specs + a->first;
	struct op *ops = w->table->ops + a->first;
	int64_t fixed = 0;
	size_t i;

	a->sib_at = -1;
	for (i = 0; i < a->nattr; i++) {
		int width = form_size(w, s[i].form);
		int size = fixed < 0 ? -1 : width;

		ops[i].slot = slot_of(s[i].attr);
		ops[i].width = width < 0 ? 0 : (unsigned char)width;
		if (width == 1 || width == 2 || width == 4 || width == 8)
			ops[i].kind = OP_FIXED;
		else if (width >= 0 && s[i].form != FORM_IMPLICIT_CONST)
			ops[i].kind = OP_LAX;
		else if (uleb_form(s[i].form))
			ops[i].kind = OP_ULEB;
		else
			ops[i].kind = OP_VALUE;

		if (s[i].attr == AT_SIBLING && fixed >= 0 && s[i].form >= 0x11 && s[i].form <= 0x14) {
			a->sib_at = fixed;
			a->sib_width = (unsigned)fixed_width(s[i].form);
		}
		fixed = size < 0 ? -1 : fixed + size;
	}
	a->fixed = fixed;
	a->plan_ctx = w->ctx;
}

/* --- DIEs --------------------------------------------------------------- */

/* Decode one value of form at *pos (dwarf.py's old form_value()).  Fixed
 * reads of 1, 2, 4, 8 bytes, LEB128s and strings must lie within the
 * section; blocks, and the 3- and 16-byte forms, take what there is (they
 * were slices), the position going on past the end. */
static int value(struct walker *w, uint64_t form, const int64_t *cnst, uint64_t *pos,
		 struct val *v)
{
	const unsigned char *b = w->info.buf;
	uint64_t size = (uint64_t)w->info.len, p = *pos;

	for (;;) {
		int width = form_size(w, form);

		if (width >= 0) {
			if (form == FORM_IMPLICIT_CONST) {
				v->kind = cnst ? V_SINT : V_NONE;
				v->u = cnst ? (uint64_t)*cnst : 0;
				return 0;
			}
			if (width == 1 || width == 2 || width == 4 || width == 8) {
				if (!avail(p, (uint64_t)width, size))
					return past(".debug_info", p);
				v->kind = V_UINT;
				v->u = getn(b + p, (unsigned)width, w->big);
			} else {
				/* 0, 3 or 16 bytes, as many as are there */
				uint64_t n = p >= size ? 0 : size - p;

				if (n > (uint64_t)width)
					n = (uint64_t)width;
				v->kind = V_UINT;
				v->hi = 0;
				if (n <= 8) {
					v->u = n ? getn(b + p, (unsigned)n, w->big) : 0;
				} else if (w->big) {
					v->kind = V_WIDE;
					v->hi = getn(b + p, (unsigned)n - 8, 1);
					v->u = getn(b + p + n - 8, 8, 1);
				} else {
					v->kind = V_WIDE;
					v->u = getn(b + p, 8, 0);
					v->hi = getn(b + p + 8, (unsigned)n - 8, 0);
				}
			}
			*pos = sat_add(p, (uint64_t)width);
			return 0;
		}
		if (uleb_form(form)) {
			if (uleb(b, size, &p, &v->u))
				return past(".debug_info", p);
			v->kind = V_UINT;
			*pos = p;
			return 0;
		}
		if (form == 0x0d) {
			int64_t s;

			if (sleb(b, size, &p, &s))
				return past(".debug_info", p);
			v->kind = V_SINT;
			v->u = (uint64_t)s;
			*pos = p;
			return 0;
		}
		if (form == 0x08) {
			const unsigned char *nul = p < size ? memchr(b + p, 0, (size_t)(size - p)) : NULL;

			if (!nul)
				return past(".debug_info", p);
			v->kind = V_STRING;
			v->at = p;
			v->len = (uint64_t)(nul - (b + p));
			*pos = p + v->len + 1;
			return 0;
		}
		if (form == 0x03 || form == 0x04 || form == 0x09 || form == 0x0a || form == 0x18) {
			uint64_t len;

			if (form == 0x09 || form == 0x18) {
				if (uleb(b, size, &p, &len))
					return past(".debug_info", p);
			} else {
				unsigned prefix = form == 0x0a ? 1 : form == 0x03 ? 2 : 4;

				if (!avail(p, prefix, size))
					return past(".debug_info", p);
				len = getn(b + p, prefix, w->big);
				p += prefix;
			}
			v->kind = V_BLOCK;
			v->at = p;
			v->len = p >= size ? 0 : size - p < len ? size - p : len;
			*pos = sat_add(p, len);
			return 0;
		}
		if (form == FORM_INDIRECT) {
			if (uleb(b, size, &p, &form))
				return past(".debug_info", p);
			cnst = NULL;	/* an indirect implicit_const has no value */
			continue;
		}
		problem("(sKK)", "form", (unsigned long long)w->offset, (unsigned long long)form);
		return -1;
	}
}

/* A value as Python had it: int, bytes, str or None */
static PyObject *py_value(const struct walker *w, const struct val *v)
{
	const char *b = w->info.buf;

	switch (v->kind) {
	case V_UINT:
		return PyLong_FromUnsignedLongLong(v->u);
	case V_SINT:
		return PyLong_FromLongLong((long long)v->u);
	case V_WIDE: {
		PyObject *hi = PyLong_FromUnsignedLongLong(v->hi), *lo, *shift, *up, *sum = NULL;

		lo = PyLong_FromUnsignedLongLong(v->u);
		shift = PyLong_FromLong(64);
		up = hi && shift ? PyNumber_Lshift(hi, shift) : NULL;
		if (up && lo)
			sum = PyNumber_Or(up, lo);
		Py_XDECREF(hi);
		Py_XDECREF(lo);
		Py_XDECREF(shift);
		Py_XDECREF(up);
		return sum;
	}
	case V_BLOCK:
		return PyBytes_FromStringAndSize(v->len ? b + v->at : "", (Py_ssize_t)v->len);
	case V_STRING:
		return PyUnicode_DecodeUTF8(b + v->at, (Py_ssize_t)v->len, "replace");
	default:
		Py_RETURN_NONE;
	}
}

static int wanted(const struct walker *w, uint64_t attr)
{
	size_t i;

	for (i = 0; i < w->nunit_attrs; i++)
		if (w->unit_attrs[i] == attr)
			return 1;
	return 0;
}

/* Decode the DIE at pos: the attributes the walk uses into d, and those
 * unit() returns into attrs when it is a dict ({attr: (form, value)}).
 * The others are stepped over, with the same checks value() makes. */
static int die(struct walker *w, uint64_t pos, struct die *d, PyObject *attrs)
{
	const unsigned char *b = w->info.buf;
	uint64_t size = (uint64_t)w->info.len, code;
	const struct spec *s;
	const struct op *ops;
	struct abbrev *a;
	size_t i;

	for (i = 1; i < NSLOTS; i++)
		d->v[i].kind = V_ABSENT;
	if (uleb(b, size, &pos, &code))
		return past(".debug_info", pos);
	d->has_tag = 0;
	d->children = 0;
	d->end = pos;
	if (code == 0)
		return 0;
	a = lookup(w->table, code);
	if (!a) {
		problem("(sKK)", "abbreviation", (unsigned long long)w->offset,
			(unsigned long long)code);
		return -1;
	}
	if (a->plan_ctx != w->ctx)
		plan(w, a);
	d->has_tag = 1;
	d->tag = a->tag;
	d->children = a->children;
	s = w->table->specs + a->first;
	ops = w->table->ops + a->first;
	for (i = 0; i < a->nattr; i++) {
		const struct op *op = &ops[i];
		int keep = attrs && wanted(w, s[i].attr);
		struct val v;

		if (!keep) {
			switch (op->kind) {
			case OP_FIXED:
				if (!avail(pos, op->width, size))
					return past(".debug_info", pos);
				if (op->slot) {
					v.kind = V_UINT;
					v.u = getn(b + pos, op->width, w->big);
					v.form = s[i].form;
					d->v[op->slot] = v;
				}
				pos += op->width;
				continue;
			case OP_LAX:
				if (op->slot)
					break;
				pos = sat_add(pos, op->width);
				continue;
			case OP_ULEB:
				if (op->slot)
					break;
				while (pos < size && b[pos] & 0x80)
					pos++;
				if (pos >= size)
					return past(".debug_info", pos);
				pos++;
				continue;
			}
		}
		if (value(w, s[i].form, &s[i].cnst, &pos, &v))
			return -1;
		v.form = s[i].form;
		if (op->slot)
			d->v[op->slot] = v;
		if (keep) {
			PyObject *key = PyLong_FromUnsignedLongLong(s[i].attr);
			PyObject *pair = Py_BuildValue("(KN)", (unsigned long long)v.form,
						       py_value(w, &v));
			int bad = !key || !pair || PyDict_SetItem(attrs, key, pair) < 0;

			Py_XDECREF(key);
			Py_XDECREF(pair);
			if (bad)
				return -1;
		}
	}
	d->end = pos;
	return 0;
}

/* Where DW_AT_sibling value points; before lowest it would loop */
static int sibling(struct walker *w, uint64_t value, uint64_t lowest, uint64_t *pos)
{
	uint64_t target = sat_add(w->offset, value);

	if (target < lowest) {
		problem("(sKKK)", "sibling", (unsigned long long)w->offset,
			(unsigned long long)target, (unsigned long long)lowest);
		return -1;
	}
	*pos = target;
	return 0;
}

/* The position after the children list starting at pos */
static int skip_children(struct walker *w, uint64_t *pos)
{
	uint64_t depth = 1, p = *pos;
	struct die d;

	while (depth) {
		if (p >= w->end) {
			problem("(sK)", "children", (unsigned long long)w->offset);
			return -1;
		}
		if (die(w, p, &d, NULL))
			return -1;
		p = d.end;
		if (!d.has_tag) {
			depth--;
		} else if (d.children) {
			if (d.v[S_SIBLING].kind != V_ABSENT && ref_form(d.v[S_SIBLING].form)) {
				if (sibling(w, d.v[S_SIBLING].u, p, &p))
					return -1;
			} else {
				depth++;
			}
		}
	}
	*pos = p;
	return 0;
}

/* --- type sizes --------------------------------------------------------- */

static size_t memo_hash(uint64_t ref, int depth, size_t mask)
{
	return (size_t)(((ref * 16 + (uint64_t)depth) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

/* Forget the type sizes of the previous unit */
static void memo_clear(struct walker *w)
{
	w->gen++;
	w->nmemo = 0;
	if (w->gen == 0) {
		/* wrapped after 4G units: drop every entry for real */
		size_t i;

		for (i = 0; w->memo && i <= w->memo_mask; i++) {
			Py_CLEAR(w->memo[i].size);
			w->memo[i].gen = 0;
		}
		w->gen = 1;
	}
}

static void memo_free(struct walker *w)
{
	size_t i;

	for (i = 0; w->memo && i <= w->memo_mask; i++)
		Py_CLEAR(w->memo[i].size);
	PyMem_Free(w->memo);
	w->memo = NULL;
}

static struct memo *memo_find(struct walker *w, uint64_t ref, int depth)
{
	size_t i;

	if (!w->memo)
		return NULL;
	for (i = memo_hash(ref, depth, w->memo_mask); w->memo[i].gen == w->gen;
	     i = (i + 1) & w->memo_mask)
		if (w->memo[i].ref == ref && w->memo[i].depth == depth)
			return &w->memo[i];
	return NULL;
}

/* Keep size (a new reference is taken) for (ref, depth) */
static int memo_put(struct walker *w, uint64_t ref, int depth, PyObject *size)
{
	size_t i;

	if (!w->memo || 2 * (w->nmemo + 1) > w->memo_mask + 1) {
		size_t cap = w->memo ? 2 * (w->memo_mask + 1) : 64, k;
		struct memo *fresh = PyMem_Calloc(cap, sizeof(*fresh));

		if (!fresh) {
			PyErr_NoMemory();
			return -1;
		}
		for (k = 0; w->memo && k <= w->memo_mask; k++) {
			if (w->memo[k].gen != w->gen) {
				Py_CLEAR(w->memo[k].size);
				continue;
			}
			for (i = memo_hash(w->memo[k].ref, w->memo[k].depth, cap - 1);
			     fresh[i].gen; i = (i + 1) & (cap - 1))
				;
			fresh[i] = w->memo[k];
		}
		PyMem_Free(w->memo);
		w->memo = fresh;
		w->memo_mask = cap - 1;
	}
	for (i = memo_hash(ref, depth, w->memo_mask); w->memo[i].gen == w->gen;
	     i = (i + 1) & w->memo_mask)
		;
	Py_XDECREF(w->memo[i].size);
	w->memo[i].ref = ref;
	w->memo[i].depth = depth;
	w->memo[i].gen = w->gen;
	Py_INCREF(size);
	w->memo[i].size = size;
	w->nmemo++;
	return 0;
}

/* A data form's value as an int */
static PyObject *number(const struct val *v)
{
	if (v->kind == V_SINT)
		return PyLong_FromLongLong((long long)v->u);
	return PyLong_FromUnsignedLongLong(v->u);
}

static PyObject *type_size(struct walker *w, const struct val *ref, int depth);

/* size * the elements of the subrange DIEs from pos (an array's), or None
 * when one gives no count; size is stolen */
static PyObject *times_subranges(struct walker *w, PyObject *size, uint64_t pos)
{
	while (size != Py_None) {
		PyObject *n, *more;
		struct die d;

		if (die(w, pos, &d, NULL)) {
			Py_DECREF(size);
			return NULL;
		}
		if (!d.has_tag || d.tag != TAG_SUBRANGE)
			break;
		if (d.v[S_COUNT].kind != V_ABSENT && data_form(d.v[S_COUNT].form)) {
			n = number(&d.v[S_COUNT]);
		} else if (d.v[S_UPPER].kind != V_ABSENT && data_form(d.v[S_UPPER].form)) {
			PyObject *upper = number(&d.v[S_UPPER]), *one = PyLong_FromLong(1);

			n = upper && one ? PyNumber_Add(upper, one) : NULL;
			Py_XDECREF(upper);
			Py_XDECREF(one);
		} else {
			Py_DECREF(size);
			Py_RETURN_NONE;
		}
		more = n ? PyNumber_Multiply(size, n) : NULL;
		Py_XDECREF(n);
		Py_DECREF(size);
		if (!more)
			return NULL;
		size = more;
		pos = d.end;
	}
	return size;
}

/* type_size() decoding the DIE at unit offset ref */
static PyObject *type_size_of(struct walker *w, uint64_t ref, int depth)
{
	struct val inner = { .kind = V_ABSENT };
	struct die d;

	if (die(w, sat_add(w->offset, ref), &d, NULL))
		return NULL;
	if (d.v[S_BYTE_SIZE].kind != V_ABSENT && data_form(d.v[S_BYTE_SIZE].form))
		return number(&d.v[S_BYTE_SIZE]);
	if (d.v[S_TYPE].kind != V_ABSENT && ref_form(d.v[S_TYPE].form))
		inner = d.v[S_TYPE];
	if (d.has_tag && wrapper_tag(d.tag))
		return type_size(w, &inner, depth + 1);
	if (d.has_tag && d.tag == TAG_ARRAY && d.children) {
		PyObject *size = type_size(w, &inner, depth + 1);

		return size ? times_subranges(w, size, d.end) : NULL;
	}
	Py_RETURN_NONE;
}

/* Byte size of the type DIE a reference value points to (a new reference,
 * None when unknown); sizes are kept per (ref, depth): a unit's variables
 * share their base types.  A chain deeper than 8 (a loop) has none. */
static PyObject *type_size(struct walker *w, const struct val *ref, int depth)
{
	struct memo *m;
	PyObject *size;

	if (depth > MAX_TYPE_DEPTH || ref->kind == V_ABSENT)
		Py_RETURN_NONE;
	m = memo_find(w, ref->u, depth);
	if (m) {
		Py_INCREF(m->size);
		return m->size;
	}
	size = type_size_of(w, ref->u, depth);
	if (size && memo_put(w, ref->u, depth, size)) {
		Py_DECREF(size);
		return NULL;
	}
	return size;
}

/* --- the top-level walk ------------------------------------------------- */

/* The address in .debug_addr at index (dwarf.py's _Unit.address()) */
static int indexed_address(struct walker *w, int have_base, uint64_t base, uint64_t index,
			   uint64_t *addr)
{
	uint64_t at = 0, size = (uint64_t)w->addr.len;

	if (!have_base || index > UINT64_MAX / w->addr_size ||
	    (at = sat_add(base, index * w->addr_size)) > size || w->addr_size > size - at) {
		problem("(sKK)", "address index", (unsigned long long)w->offset,
			(unsigned long long)index);
		return -1;
	}
	*addr = getn((const unsigned char *)w->addr.buf + at, w->addr_size, w->big);
	return 0;
}

/* The address of a location that is just DW_OP_addr/addrx: 1, 0 if it is
 * something else, -1 on error */
static int static_address(struct walker *w, const struct val *loc, int have_base,
			  uint64_t base, uint64_t *addr)
{
	const unsigned char *e;
	uint64_t end = 1, index;

	if (loc->kind != V_BLOCK || !loc->len)
		return 0;
	e = (const unsigned char *)w->info.buf + loc->at;	/* len > 0: within */
	if (e[0] == OP_ADDR && loc->len == 1 + (uint64_t)w->addr_size) {
		*addr = getn(e + 1, w->addr_size, w->big);
		return 1;
	}
	if (e[0] != OP_ADDRX && e[0] != OP_GNU_ADDR_INDEX)
		return 0;
	if (uleb(e, loc->len, &end, &index))
		return past(".debug_info", loc->at + loc->len);
	if (end != loc->len)
		return 0;
	return indexed_address(w, have_base, base, index, addr) ? -1 : 1;
}

/* A variable DIE's (addr, size) into found, if its address is static */
static int variable(struct walker *w, const struct die *d, int have_base, uint64_t base,
		    PyObject *found)
{
	struct val ref = d->v[S_TYPE];
	PyObject *size, *pair;
	uint64_t addr;
	int r;

	if (d->v[S_LOCATION].kind == V_ABSENT)
		return 0;
	r = static_address(w, &d->v[S_LOCATION], have_base, base, &addr);
	if (r <= 0)
		return r;
	if (ref.kind == V_ABSENT && (d->v[S_SPEC].kind == V_UINT || d->v[S_SPEC].kind == V_SINT)) {
		struct die decl;

		if (d->v[S_SPEC].kind == V_SINT && (int64_t)d->v[S_SPEC].u < 0)
			return past(".debug_info", w->offset);
		if (die(w, sat_add(w->offset, d->v[S_SPEC].u), &decl, NULL))
			return -1;
		ref = decl.v[S_TYPE];
	}
	if (ref.kind != V_ABSENT && !ref_form(ref.form))
		ref.kind = V_ABSENT;
	size = type_size(w, &ref, 0);
	if (!size)
		return -1;
	pair = Py_BuildValue("(KN)", (unsigned long long)addr, size);
	r = pair ? PyList_Append(found, pair) : -1;
	Py_XDECREF(pair);
	return r;
}

/* Top-level variables with a static address from pos: most top-level DIEs
 * (types, declarations) are stepped over by their DW_AT_sibling or their
 * fixed size without decoding */
static int walk(struct walker *w, uint64_t pos, int have_base, uint64_t base, PyObject *found)
{
	const unsigned char *b = w->info.buf;
	uint64_t size = (uint64_t)w->info.len;
	struct die d;

	while (pos < w->end) {
		uint64_t code, after = pos;
		struct abbrev *a;

		if (uleb(b, size, &after, &code))
			return past(".debug_info", after);
		a = lookup(w->table, code);
		if (a && a->tag != TAG_VARIABLE) {
			if (a->plan_ctx != w->ctx)
				plan(w, a);
			if (a->children && a->sib_at >= 0) {
				uint64_t at = sat_add(after, (uint64_t)a->sib_at);

				if (!avail(at, a->sib_width, size))
					return past(".debug_info", at);
				if (sibling(w, getn(b + at, a->sib_width, w->big), after, &pos))
					return -1;
				continue;
			}
			if (!a->children && a->fixed >= 0) {
				pos = sat_add(after, (uint64_t)a->fixed);
				continue;
			}
		}
		if (die(w, pos, &d, NULL))
			return -1;
		if (!d.has_tag)
			break;
		pos = d.end;
		if (d.tag == TAG_VARIABLE && variable(w, &d, have_base, base, found))
			return -1;
		if (d.children) {
			if (d.v[S_SIBLING].kind != V_ABSENT && ref_form(d.v[S_SIBLING].form)) {
				if (sibling(w, d.v[S_SIBLING].u, pos, &pos))
					return -1;
			} else if (skip_children(w, &pos)) {
				return -1;
			}
		}
	}
	return 0;
}

/* --- the module --------------------------------------------------------- */

static void walker_free(PyObject *capsule)
{
	struct walker *w = PyCapsule_GetPointer(capsule, CAPSULE);
	size_t i;

	if (!w)
		return;
	memo_free(w);
	for (i = 0; w->tables && i <= w->tables_mask; i++)
		free_table(w->tables[i]);
	PyMem_Free(w->tables);
	PyBuffer_Release(&w->info);
	PyBuffer_Release(&w->abbrev);
	PyBuffer_Release(&w->addr);
	PyMem_Free(w);
}

/*
 * walker(info, abbrev, addr, big, unit_attrs)
 *
 * The bytes of .debug_info, .debug_abbrev and .debug_addr (empty if there
 * is none), whether the image is big-endian, and the attributes of a unit
 * DIE unit() returns (a tuple of up to 16): the state unit() and
 * variables() share, abbreviation tables decoded once by offset.
 */
static PyObject *py_walker(PyObject *self, PyObject *args)
{
	struct walker *w = PyMem_Calloc(1, sizeof(*w));
	PyObject *capsule, *unit_attrs;
	Py_ssize_t i, n;
	int big;
	(void)self;

	if (!w)
		return PyErr_NoMemory();
	if (!PyArg_ParseTuple(args, "y*y*y*pO!", &w->info, &w->abbrev, &w->addr, &big,
			      &PyTuple_Type, &unit_attrs)) {
		/* the buffers got so far were released by the parser */
		PyMem_Free(w);
		return NULL;
	}
	w->big = big;
	n = PyTuple_Size(unit_attrs);
	for (i = 0; i < n && i < (Py_ssize_t)(sizeof(w->unit_attrs) / sizeof(w->unit_attrs[0])); i++)
		w->unit_attrs[w->nunit_attrs++] = PyLong_AsUnsignedLongLong(PyTuple_GetItem(unit_attrs, i));
	if (PyErr_Occurred()) {
		PyBuffer_Release(&w->info);
		PyBuffer_Release(&w->abbrev);
		PyBuffer_Release(&w->addr);
		PyMem_Free(w);
		return NULL;
	}
	capsule = PyCapsule_New(w, CAPSULE, walker_free);
	if (!capsule) {
		PyBuffer_Release(&w->info);
		PyBuffer_Release(&w->abbrev);
		PyBuffer_Release(&w->addr);
		PyMem_Free(w);
	}
	return capsule;
}

/*
 * unit(walker, offset)
 *
 * Decode the unit header at offset of .debug_info, its abbreviation table
 * and its first DIE: (end, version, addr_size, offset_size, tag or None,
 * children, position after the DIE, {attr: (form, value)} of walker()'s
 * unit_attrs).  The unit is
 * the one variables() walks next.
 */
static PyObject *py_unit(PyObject *self, PyObject *args)
{
	PyObject *capsule, *attrs;
	unsigned long long offset;
	const unsigned char *b;
	uint64_t size, p, length, abbrev, end;
	unsigned osz = 4, version, addr_size;
	struct walker *w;
	struct die d;
	(void)self;

	if (!PyArg_ParseTuple(args, "OK", &capsule, &offset))
		return NULL;
	w = PyCapsule_GetPointer(capsule, CAPSULE);
	if (!w)
		return NULL;
	w->have_unit = 0;
	memo_clear(w);
	b = w->info.buf;
	size = (uint64_t)w->info.len;
	w->offset = offset;
	if (!avail(offset, 4, size))
		return past(".debug_info", offset), NULL;
	length = getn(b + offset, 4, w->big);
	p = offset + 4;
	if (length == 0xffffffff) {
		if (!avail(p, 8, size))
			return past(".debug_info", p), NULL;
		length = getn(b + p, 8, w->big);
		p += 8;
		osz = 8;
	}
	end = sat_add(p, length);
	if (end > size)
		return problem("(sK)", "runs past", offset);
	if (!avail(p, 2, size))
		return past(".debug_info", p), NULL;
	version = (unsigned)getn(b + p, 2, w->big);
	p += 2;
	if (version == 5) {
		unsigned unit_type;

		if (!avail(p, 2, size))
			return past(".debug_info", p), NULL;
		unit_type = b[p];
		addr_size = b[p + 1];
		if (!avail(p + 2, osz, size))
			return past(".debug_info", p + 2), NULL;
		abbrev = getn(b + p + 2, osz, w->big);
		p += 2 + osz;
		if (unit_type == 4 || unit_type == 5)		/* skeleton, split_compile */
			p += 8;
		else if (unit_type == 2 || unit_type == 6)	/* type, split_type units */
			p += 8 + osz;
	} else if (version >= 2 && version <= 4) {
		if (!avail(p, osz + 1, size))
			return past(".debug_info", p), NULL;
		abbrev = getn(b + p, osz, w->big);
		addr_size = b[p + osz];
		p += osz + 1;
	} else {
		return problem("(sKI)", "version", offset, version);
	}
	if (addr_size != 2 && addr_size != 4 && addr_size != 8)
		return problem("(sKI)", "address size", offset, addr_size);
	w->end = end;
	w->version = version;
	w->addr_size = addr_size;
	w->offset_size = osz;
	/* the unit kind plans depend on, never 0 */
	w->ctx = addr_size | osz << 4 | (version >= 3) << 8;
	w->table = get_table(w, abbrev);
	if (!w->table)
		return NULL;
	attrs = PyDict_New();
	if (!attrs)
		return NULL;
	if (die(w, p, &d, attrs)) {
		Py_DECREF(attrs);
		return NULL;
	}
	w->have_unit = 1;
	if (!d.has_tag)
		return Py_BuildValue("(KIIIOOKN)", (unsigned long long)end, version, addr_size, osz,
				     Py_None, Py_False, (unsigned long long)d.end, attrs);
	return Py_BuildValue("(KIIIKOKN)", (unsigned long long)end, version, addr_size, osz,
			     (unsigned long long)d.tag, d.children ? Py_True : Py_False,
			     (unsigned long long)d.end, attrs);
}

/*
 * variables(walker, pos, addr_base)
 *
 * The top-level variables with a static address of the last unit(), from
 * pos (after its first DIE): [(addr, size or None)].  addr_base is the
 * unit's DW_AT_addr_base (None: 0), for DW_OP_addrx.
 */
static PyObject *py_variables(PyObject *self, PyObject *args)
{
	PyObject *capsule, *base_obj, *found;
	unsigned long long pos, base = 0;
	int have_base = 1;
	struct walker *w;
	(void)self;

	if (!PyArg_ParseTuple(args, "OKO", &capsule, &pos, &base_obj))
		return NULL;
	w = PyCapsule_GetPointer(capsule, CAPSULE);
	if (!w)
		return NULL;
	if (!w->have_unit) {
		PyErr_SetString(PyExc_RuntimeError, "variables() without a unit()");
		return NULL;
	}
	if (base_obj != Py_None) {
		/* a base that is no 64-bit address resolves no index */
		base = PyLong_Check(base_obj) ? PyLong_AsUnsignedLongLong(base_obj) : (unsigned long long)-1;
		if (base == (unsigned long long)-1) {
			PyErr_Clear();
			have_base = 0;
		}
	}
	found = PyList_New(0);
	if (found && walk(w, pos, have_base, base, found))
		Py_CLEAR(found);
	return found;
}

/* (lo, lo + size) as ints, the sum unbounded as Python's was */
static PyObject *range_pair(uint64_t lo, uint64_t size)
{
	PyObject *a, *n, *hi;

	if (lo + size >= lo)
		return Py_BuildValue("(KK)", (unsigned long long)lo, (unsigned long long)(lo + size));
	a = PyLong_FromUnsignedLongLong(lo);
	n = PyLong_FromUnsignedLongLong(size);
	hi = a && n ? PyNumber_Add(a, n) : NULL;
	Py_XDECREF(n);
	return a && hi ? Py_BuildValue("(NN)", a, hi) : (Py_XDECREF(a), Py_XDECREF(hi), NULL);
}

/*
 * aranges(data, big)
 *
 * Parse .debug_aranges: {unit offset: [(lo, hi)]}, the empty ranges left
 * out; a set's list ends at its (0, 0) entry.
 */
static PyObject *py_aranges(PyObject *self, PyObject *args)
{
	PyObject *result = NULL;
	const unsigned char *b;
	uint64_t size, pos = 0;
	Py_buffer data;
	int big;
	(void)self;

	if (!PyArg_ParseTuple(args, "y*p", &data, &big))
		return NULL;
	b = data.buf;
	size = (uint64_t)data.len;
	result = PyDict_New();
	while (result && pos + 4 <= size) {
		uint64_t start = pos, length, end, unit, tuple, n, k;
		unsigned osz = 4, addr_size, seg_size;
		PyObject *key, *ranges;

		length = getn(b + pos, 4, big);
		pos += 4;
		if (length == 0xffffffff) {
			if (!avail(pos, 8, size))
				goto past;
			length = getn(b + pos, 8, big);
			pos += 8;
			osz = 8;
		}
		end = sat_add(pos, length);
		if (end > size) {
			problem("(s)", "aranges runs past");
			goto fail;
		}
		if (!avail(pos, 2 + osz, size))
			goto past;
		unit = getn(b + pos + 2, osz, big);
		pos += 2 + osz;
		if (!avail(pos, 2, size))
			goto past;
		addr_size = b[pos];
		seg_size = b[pos + 1];
		pos += 2;
		if ((addr_size != 2 && addr_size != 4 && addr_size != 8) || seg_size) {
			problem("(sI)", "aranges address size", addr_size);
			goto fail;
		}
		/* the tuples start at a multiple of their size from the set */
		tuple = 2 * addr_size;
		pos = start + (pos - start + tuple - 1) / tuple * tuple;
		key = PyLong_FromUnsignedLongLong(unit);
		ranges = key ? PyDict_GetItemWithError(result, key) : NULL;
		if (!ranges && !PyErr_Occurred()) {
			ranges = PyList_New(0);
			if (ranges && PyDict_SetItem(result, key, ranges) < 0)
				Py_CLEAR(ranges);
			Py_XDECREF(ranges);	/* the dict holds it */
		}
		Py_XDECREF(key);
		if (!ranges)
			goto fail;
		n = pos < end ? (end - pos) / tuple : 0;
		for (k = 0; k < n; k++) {
			const unsigned char *t = b + pos + k * tuple;
			uint64_t lo = getn(t, addr_size, big), len = getn(t + addr_size, addr_size, big);
			PyObject *pair;

			if (lo == 0 && len == 0)
				break;
			if (!len)
				continue;
			pair = range_pair(lo, len);
			if (!pair || PyList_Append(ranges, pair) < 0) {
				Py_XDECREF(pair);
				goto fail;
			}
			Py_DECREF(pair);
		}
		pos = end;
	}
	PyBuffer_Release(&data);
	return result;
past:
	past(".debug_aranges", pos);
fail:
	Py_XDECREF(result);
	PyBuffer_Release(&data);
	return NULL;
}

static PyMethodDef methods[] = {
	{"aranges", py_aranges, METH_VARARGS, "Parse .debug_aranges."},
	{"walker", py_walker, METH_VARARGS, "State over one image's DWARF sections."},
	{"unit", py_unit, METH_VARARGS, "Decode a unit header and its first DIE."},
	{"variables", py_variables, METH_VARARGS, "Top-level variables with a static address."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_dwarf", "The DWARF reader's per-DIE walk.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__dwarf(void)
{
	return PyModule_Create(&module);
}
