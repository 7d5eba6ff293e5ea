/*
 * membudget.read._mapfile: the link map reader's per-line loops, in C.
 *
 * The memory map of a large GNU ld link has hundreds of thousands of
 * lines (an input section, its numbers, a symbol); splitting them into
 * Python strings and testing each was the hottest function of a report.
 * gnu() walks the map's bytes in place and builds only what the reader
 * keeps: the MapEntry tuples, the output sections' numbers, the lines
 * that may assign a symbol.  discarded() does the same for the
 * "Discarded input sections" list, breaks() checks the whole file for a
 * NUL or a line break besides "\n" in one pass.  mapfile.py keeps
 * everything else (the headings, the Memory Configuration and cross
 * reference tables, lld's maps, every message): these raise none.
 *
 * The map is untrusted: any bytes, any line length.  It is read as the
 * bytes of the file, whose lines end in "\n" alone (mapfile _read()), and
 * every read is bounded by their end.  What comes out is what the Python
 * reader made of the decoded text (UTF-8, invalid bytes replaced): tokens
 * as str.split() makes them (Unicode whitespace included), numbers as
 * int(token, 16) takes them after "0x".  A decoder starts afresh at every
 * ASCII byte and every lead byte, so each token decodes alone as it did
 * inside the whole text.
 *
 * Built against the limited API (abi3): one .so serves every CPython 3.11+.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The first tokens of a line kept by split(); the rest are only counted */
#define MAXTOK 6

struct tok {
	const unsigned char *p;
	Py_ssize_t n;
};

struct line {
	const unsigned char *p;		/* the line */
	const unsigned char *end;	/* its "\n" (or the end of the map): split() */
	const unsigned char *limit;	/* the end of the map */
	struct tok t[MAXTOK];
	Py_ssize_t count;		/* tokens in all */
	int has_eq;			/* one of them is "=" */
};

/* One object name, kept once however many entries name it */
struct slot {
	uint64_t hash;
	unsigned char *key;		/* its bytes in the map (a copy) */
	Py_ssize_t len;
	PyObject *obj;
};

struct scan {
	newfunc tuple_new;		/* tuple's tp_new: MapEntry without a Python call */
	PyObject *entry_type, *args, *normalize;
	PyObject *tuple;		/* args[0], the fields of the next entry */
	PyObject *fields[9];		/* what it holds (borrowed) */
	PyObject *entries, *sections, *assigned;
	PyObject *output, *waiting, *pattern, *pending;
	int gold;			/* pending is a gold "** name" record */
	struct slot *slots;
	size_t nslots, used;
	struct slot *last;		/* the previous entry's object */
	unsigned char *buf;		/* a joined token run */
	size_t bufsize;
};

/* The bytes of an ASCII whitespace character (str.isspace()): 1, else 0 */
static const unsigned char ascii_ws[128] = {
	['\t'] = 1, ['\n'] = 1, [0x0b] = 1, [0x0c] = 1, ['\r'] = 1,
	[0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, [' '] = 1,
};

/* The length of the whitespace character at p (str.split()'s), or 0; the
 * map ends at end */
static inline int wslen(const unsigned char *p, const unsigned char *end)
{
	unsigned c = *p;

	if (c < 0x80)
		return ascii_ws[c];
	if (c == 0xc2)
		return p + 1 < end && (p[1] == 0x85 || p[1] == 0xa0) ? 2 : 0;
	if (c < 0xe1 || c > 0xe3 || p + 2 >= end)
		return 0;
	if (c == 0xe1)		/* U+1680 */
		return p[1] == 0x9a && p[2] == 0x80 ? 3 : 0;
	if (c == 0xe3)		/* U+3000 */
		return p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
	if (p[1] == 0x80)	/* U+2000..200A, 2028, 2029, 202F */
		return (p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 ||
		       p[2] == 0xaf ? 3 : 0;
	return p[1] == 0x81 && p[2] == 0x9f ? 3 : 0;	/* U+205F */
}

/*
 * The first byte from p on that is not a printable ASCII character (what
 * most of a token is): whitespace, "\n", a control or a multibyte
 * character.  A word at a time while the word lies inside the text
 * (before limit): no read past it, and none past the line's "\n".
 */
static inline const unsigned char *plain_end(const unsigned char *p, const unsigned char *limit)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (limit - p >= 8) {
		uint64_t x, m;

		memcpy(&x, p, 8);
		/* the high bit of each byte below 0x21 or from 0x80 on; the
		 * lowest one set is exact (a borrow only runs upwards) */
		m = ((x - 0x2121212121212121ull) | x) & 0x8080808080808080ull;
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < limit && *p > ' ' && *p < 0x80)
		p++;
	return p;
}

/*
 * The next token of the line from p on (str.split()'s): its start in
 * *start and its end returned; NULL when there is none, *start then the
 * line's end.
 */
static inline const unsigned char *token(const unsigned char *p, const unsigned char *limit,
					 const unsigned char **start)
{
	uint64_t x;
	int w;

	for (;;) {
		/* whitespace: mostly runs of spaces, skipped a word at a time */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		if (limit - p >= 8) {
			memcpy(&x, p, 8);
			x ^= 0x2020202020202020ull;
			if (!x) {
				p += 8;
				continue;
			}
			p += __builtin_ctzll(x) >> 3;
		}
#endif
		if (p == limit || *p == '\n') {
			*start = p;
			return NULL;
		}
		if (*p == ' ')
			p++;
		else if ((w = wslen(p, limit)))
			p += w;
		else
			break;
	}
	*start = p;
	for (;;) {
		p = plain_end(p, limit);
		/* a control or a multibyte character other than whitespace is
		 * part of the token (a continuation byte is never whitespace) */
		if (p == limit || wslen(p, limit))
			return p;
		p++;
	}
}

/* line.split(): the first MAXTOK tokens, the count, whether "=" is one;
 * and where the line ends */
static void split(struct line *l)
{
	const unsigned char *p = l->p, *start;

	l->count = 0;
	l->has_eq = 0;
	while ((p = token(p, l->limit, &start))) {
		if (l->count < MAXTOK) {
			l->t[l->count].p = start;
			l->t[l->count].n = p - start;
		}
		if (p - start == 1 && *start == '=')
			l->has_eq = 1;
		l->count++;
	}
	l->end = start;
}

static int tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return (size_t)t->n == n && memcmp(t->p, s, n) == 0;
}

static int has_prefix(const unsigned char *p, const unsigned char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* *slot = v, dropping what it held (Py_XSETREF, not in the limited API) */
static void replace(PyObject **slot, PyObject *v)
{
	PyObject *old = *slot;

	*slot = v;
	Py_XDECREF(old);
}

/* The text of n bytes of the map, as the reader decodes it */
static PyObject *str_of(const unsigned char *p, Py_ssize_t n)
{
	return PyUnicode_DecodeUTF8((const char *)p, n, "replace");
}

/* A byte's value as a hex digit; else one of these */
#define HEX_SEP 16		/* "_" */
#define HEX_WIDE 17		/* a byte of a multibyte character */
#define HEX_NOT 18
static unsigned char hexdig[256];	/* filled by PyInit__mapfile() */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Eight hex digits at p, the width of a 32-bit address: their value in
 * *v and 1, or 0 when one of them is no hex digit.  All at once, as a map
 * of a 64-bit link has two of 16 digits on most of its lines.
 */
static inline int hex8(const unsigned char *p, uint64_t *v)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t x, lower, digit, letter, nib;

	memcpy(&x, p, 8);
	if (x & high)
		return 0;
	/* per byte, no carry between bytes (each is below 0x80): its high
	 * bit set from '0' on and not from '9' + 1 on, and so on */
	digit = (x + ones * (0x80 - '0')) & ~(x + ones * (0x7f - '9'));
	lower = x | ones * 0x20;
	letter = (lower + ones * (0x80 - 'a')) & ~(lower + ones * (0x7f - 'f'));
	if (((digit | letter) & high) != high)
		return 0;
	nib = (x & ones * 0x0f) + 9 * ((x >> 6) & ones);
	/* the first digit is the lowest byte: pairs, then quads, then all */
	nib = (nib & 0x000f000f000f000full) << 4 | (nib & 0x0f000f000f000f00ull) >> 8;
	nib = (nib & 0x000000ff000000ffull) << 8 | (nib & 0x00ff000000ff0000ull) >> 16;
	*v = (nib & 0xffff) << 16 | (nib >> 32 & 0xffff);
	return 1;
}
#else
static inline int hex8(const unsigned char *p, uint64_t *v)
{
	(void)p;
	(void)v;
	return 0;
}
#endif

/*
 * The digits after "0x" as int(token, 16) reads them: 1 with their value
 * in *v, 0 when they are no number, 2 when int() must tell (a value
 * beyond 64 bits, a multibyte character: int() takes digits of every
 * script).
 */
static int hexdigits(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
	int digits = 0, big = 0;

	*v = 0;
	if (p < end && *p == '_')
		p++;		/* one "_" is allowed after the prefix */
	for (; p < end; p++) {
		unsigned d = hexdig[*p];

		if (d < 16) {
			big |= *v >> 60 != 0;
			*v = *v << 4 | d;
			digits++;
		} else if (d == HEX_SEP) {
			/* only between two digits */
			if (!digits || p[-1] == '_' || p + 1 == end)
				return 0;
		} else if (d == HEX_WIDE)
			return 2;
		else
			return 0;
	}
	return !digits ? 0 : big ? 2 : 1;
}

/*
 * _hex(token): int(token, 16) if the token starts with "0x" and is a
 * number.  Returns 1 (with a new reference in *val unless val is NULL),
 * 0 when it is none, -1 with an exception set.
 */
static int hexval(const struct tok *t, PyObject **val)
{
	const unsigned char *p = t->p + 2;
	uint64_t v, hi;
	PyObject *s, *n;
	int r;

	if (t->n < 2 || t->p[0] != '0' || t->p[1] != 'x')
		return 0;
	if (t->n == 18 && hex8(p, &hi) && hex8(p + 8, &v))
		v |= hi << 32;
	else if (!(t->n == 10 && hex8(p, &v)) && (r = hexdigits(p, t->p + t->n, &v)) != 1) {
		if (!r)
			return 0;
		s = str_of(t->p, t->n);
		if (!s)
			return -1;
		n = PyObject_CallFunction((PyObject *)&PyLong_Type, "Oi", s, 16);
		Py_DECREF(s);
		if (!n) {
			if (!PyErr_ExceptionMatches(PyExc_ValueError))
				return -1;
			PyErr_Clear();
			return 0;
		}
		if (val)
			*val = n;
		else
			Py_DECREF(n);
		return 1;
	}
	if (!val)
		return 1;
	*val = PyLong_FromUnsignedLongLong(v);
	return *val ? 1 : -1;
}

/*
 * " ".join(tokens[k:]) of the line (k < MAXTOK), as bytes in *out (the
 * line itself when it is one token, else sc->buf); 0 bytes when there is
 * no token k.
 */
static int join(struct scan *sc, const struct line *l, Py_ssize_t k,
		const unsigned char **out, Py_ssize_t *len)
{
	const unsigned char *p, *start, *end = l->end;
	size_t at = 0;

	*len = 0;
	if (l->count <= k)
		return 0;
	if (l->count == k + 1) {
		*out = l->t[k].p;
		*len = l->t[k].n;
		return 0;
	}
	if (sc->bufsize < (size_t)(end - l->p)) {
		unsigned char *buf = realloc(sc->buf, end - l->p);

		if (!buf) {
			PyErr_NoMemory();
			return -1;
		}
		sc->buf = buf;
		sc->bufsize = end - l->p;
	}
	/* token k on, one space between two: never longer than the line */
	for (p = l->t[k].p; (p = token(p, l->limit, &start));) {
		if (at)
			sc->buf[at++] = ' ';
		memcpy(sc->buf + at, start, p - start);
		at += p - start;
	}
	*out = sc->buf;
	*len = at;
	return 0;
}

static uint64_t hash_bytes(const unsigned char *p, Py_ssize_t n)
{
	uint64_t h = 14695981039346656037ull;	/* FNV-1a */

	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

static int grow(struct scan *sc)
{
	size_t n = sc->nslots ? sc->nslots * 2 : 1024, k;
	struct slot *slots = calloc(n, sizeof(*slots));

	if (!slots) {
		PyErr_NoMemory();
		return -1;
	}
	for (k = 0; k < sc->nslots; k++) {
		struct slot *s = &sc->slots[k];
		size_t at = s->hash & (n - 1);

		if (!s->obj)
			continue;
		while (slots[at].obj)
			at = (at + 1) & (n - 1);
		slots[at] = *s;
	}
	free(sc->slots);
	sc->slots = slots;
	sc->nslots = n;
	sc->last = NULL;
	return 0;
}

/* " ".join(tokens[k:]) or None, one string per distinct name (borrowed) */
static PyObject *object_name(struct scan *sc, const struct line *l, Py_ssize_t k)
{
	const unsigned char *p;
	Py_ssize_t n;
	uint64_t h;
	size_t at;
	struct slot *s;

	if (join(sc, l, k, &p, &n) < 0)
		return NULL;
	if (!n)
		return Py_None;
	/* the same object as the entry before: the usual case */
	if (sc->last && sc->last->len == n && memcmp(sc->last->key, p, n) == 0)
		return sc->last->obj;
	if (2 * (sc->used + 1) > sc->nslots && grow(sc) < 0)
		return NULL;
	h = hash_bytes(p, n);
	for (at = h & (sc->nslots - 1);; at = (at + 1) & (sc->nslots - 1)) {
		s = &sc->slots[at];
		if (!s->obj)
			break;
		if (s->hash == h && s->len == n && memcmp(s->key, p, n) == 0) {
			sc->last = s;
			return s->obj;
		}
	}
	s->key = malloc(n);
	if (!s->key) {
		PyErr_NoMemory();
		return NULL;
	}
	s->obj = str_of(p, n);
	if (!s->obj) {
		free(s->key);
		return NULL;
	}
	memcpy(s->key, p, n);
	s->len = n;
	s->hash = h;
	sc->used++;
	sc->last = s;
	return s->obj;
}

/* Append MapEntry(name, output, addr, size, obj, fill, linker, merged, pattern);
 * steals name, addr and size, borrows the rest */
static int entry(struct scan *sc, PyObject *name, PyObject *addr, PyObject *size,
		 PyObject *obj, int fill, int linker, int merged, PyObject *pattern)
{
	PyObject *items[9], *e;
	int k, ok;

	if (!name || !addr || !size) {
		Py_XDECREF(name);
		Py_XDECREF(addr);
		Py_XDECREF(size);
		return -1;
	}
	items[0] = name;
	items[1] = sc->output;
	items[2] = addr;
	items[3] = size;
	items[4] = obj;
	items[5] = fill ? Py_True : Py_False;
	items[6] = linker ? Py_True : Py_False;
	items[7] = merged ? Py_True : Py_False;
	items[8] = pattern;
	/* The fields tuple is only ever held by args: refilled in place, the
	 * items that differ from the last entry's alone */
	for (k = 0; k < 9; k++) {
		if (items[k] == sc->fields[k]) {
			if (k == 0 || k == 2 || k == 3)
				Py_DECREF(items[k]);
			continue;
		}
		if (!(k == 0 || k == 2 || k == 3))
			Py_INCREF(items[k]);
		sc->fields[k] = items[k];
		if (PyTuple_SetItem(sc->tuple, k, items[k]) < 0) {
			while (++k < 9)
				if (k == 2 || k == 3)
					Py_DECREF(items[k]);
			return -1;
		}
	}
	e = sc->tuple_new((PyTypeObject *)sc->entry_type, sc->args, NULL);
	if (!e)
		return -1;
	ok = PyList_Append(sc->entries, e);
	Py_DECREF(e);
	return ok;
}

/* mapfile._special(): the entry of a gold "** name" record; steals addr, size */
static int special(struct scan *sc, PyObject *name, PyObject *addr, PyObject *size)
{
	Py_ssize_t n;
	const char *s = PyUnicode_AsUTF8AndSize(name, &n);

	if (!s) {
		Py_DECREF(addr);
		Py_DECREF(size);
		return -1;
	}
#define IS(lit) ((size_t)n == sizeof(lit) - 1 && !memcmp(s, lit, n))
	if (IS("fill") || IS("zero fill"))
		return entry(sc, PyUnicode_FromString("*fill*"), addr, size, Py_None, 1, 0, 0,
			     Py_None);
	Py_INCREF(name);
	if (IS("merge strings") || IS("merge constants"))
		return entry(sc, name, addr, size, Py_None, 0, 0, 1, Py_None);
#undef IS
	return entry(sc, name, addr, size, Py_None, 0, 1, 0, Py_None);
}

/*
 * mapfile's _output_section(): the numbers after an output section's name
 * (tokens first.. of the line).  Appends (name, addr, size, lma) and
 * returns 1 when they are there, else 0; -1 on error.
 */
static int output_section(struct scan *sc, PyObject *name, const struct line *l, int first)
{
	Py_ssize_t count = l->count - first;
	PyObject *addr = NULL, *size = NULL, *lma = NULL, *row;
	int ok;

	if (count < 2 || (ok = hexval(&l->t[first], &addr)) <= 0)
		return count < 2 ? 0 : ok;
	if ((ok = hexval(&l->t[first + 1], &size)) <= 0) {
		Py_DECREF(addr);
		return ok;
	}
	if (count > 4 && tok_is(&l->t[first + 2], "load") && tok_is(&l->t[first + 3], "address")
	    && (ok = hexval(&l->t[first + 4], &lma)) < 0) {
		Py_DECREF(addr);
		Py_DECREF(size);
		return -1;
	}
	if (!lma) {
		lma = addr;
		Py_INCREF(lma);
	}
	row = PyTuple_Pack(4, name, addr, size, lma);
	Py_DECREF(addr);
	Py_DECREF(size);
	Py_DECREF(lma);
	if (!row)
		return -1;
	ok = PyList_Append(sc->sections, row);
	Py_DECREF(row);
	return ok < 0 ? -1 : 1;
}

/* A line that may assign a symbol: " ".join(tokens[1:]) for ASSIGNED_RE */
static int assignment(struct scan *sc, const struct line *l)
{
	const unsigned char *p;
	Py_ssize_t n;
	PyObject *s;
	int ok;

	if (join(sc, l, 1, &p, &n) < 0 || !(s = str_of(p, n)))
		return -1;
	ok = PyList_Append(sc->assigned, s);
	Py_DECREF(s);
	return ok;
}

static void set_pending(struct scan *sc, PyObject *name, int gold)
{
	replace(&sc->pending, name);
	sc->gold = gold;
}

/* APPENDED_RE.match(line) of the old reader: `\S+:\s+file format ` */
static int appended(const unsigned char *p, const unsigned char *limit)
{
	const unsigned char *q = p;
	int w;

	while (q < limit && !wslen(q, limit))
		q++;
	if (q - p < 2 || q[-1] != ':' || q == limit || *q == '\n' || !wslen(q, limit))
		return 0;
	while (q < limit && *q != '\n' && (w = wslen(q, limit)))
		q += w;
	return has_prefix(q, limit, "file format ");
}

/* A gold "** name  0xADDR 0xSIZE" record, the numbers maybe on the next line */
static int gold(struct scan *sc, const struct line *l)
{
	const unsigned char *head = l->p + 4, *stop = head, *tail, *q, *end = l->end;
	struct line nums;
	PyObject *name, *addr = NULL, *size = NULL;
	int w, ok = 0;

	/* head, _, rest = line[4:].partition("  ") */
	while (stop < end && !(stop[0] == ' ' && stop + 1 < end && stop[1] == ' '))
		stop++;
	nums.p = stop < end ? stop + 2 : end;
	nums.end = end;
	nums.limit = l->limit;
	/* head.strip() */
	while (head < stop && (w = wslen(head, stop)))
		head += w;
	for (q = tail = head; q < stop;) {
		if ((w = wslen(q, stop)))
			q += w;
		else
			tail = ++q;
	}
	name = str_of(head, tail - head);
	if (!name)
		return -1;
	split(&nums);
	if (nums.count >= 2 && (ok = hexval(&nums.t[0], &addr)) > 0 &&
	    (ok = hexval(&nums.t[1], &size)) > 0) {
		ok = special(sc, name, addr, size);
		Py_DECREF(name);
		set_pending(sc, NULL, 0);
		return ok;
	}
	Py_XDECREF(addr);
	if (ok < 0) {
		Py_DECREF(name);
		return -1;
	}
	set_pending(sc, name, 1);
	return 0;
}

/* A line with an input section's numbers: `0xADDR 0xSIZE ...` (mapfile's
 * "Indented" case) */
static int numbers(struct scan *sc, const struct line *l)
{
	PyObject *first = NULL, *second = NULL, *obj;
	int ok;

	if (l->count < 2 || l->t[1].n < 2 || memcmp(l->t[1].p, "0x", 2) ||
	    l->t[0].n < 2 || memcmp(l->t[0].p, "0x", 2))
		return 0;
	if ((ok = hexval(&l->t[1], &second)) <= 0)
		return ok;
	if ((ok = hexval(&l->t[0], &first)) <= 0) {
		Py_DECREF(second);
		return ok;
	}
	if (l->count > 2 && (tok_is(&l->t[2], "BYTE") || tok_is(&l->t[2], "SHORT") ||
			     tok_is(&l->t[2], "LONG") || tok_is(&l->t[2], "QUAD") ||
			     tok_is(&l->t[2], "SQUAD")))
		ok = entry(sc, str_of(l->t[2].p, l->t[2].n), first, second, Py_None, 0, 1, 0,
			   Py_None);
	else if (sc->pending && sc->gold)
		ok = special(sc, sc->pending, first, second);
	else if (sc->pending) {
		if (!(obj = object_name(sc, l, 2))) {
			Py_DECREF(first);
			Py_DECREF(second);
			return -1;
		}
		Py_INCREF(sc->pending);
		ok = entry(sc, sc->pending, first, second, obj, 0, 0, 0, sc->pattern);
	} else {
		Py_DECREF(first);
		Py_DECREF(second);
		ok = 0;
	}
	set_pending(sc, NULL, 0);
	return ok;
}

/* An input section line ` .name 0xADDR 0xSIZE object`, a long name alone,
 * a pattern ` *(.text)`, a fill */
static int input(struct scan *sc, struct line *l)
{
	PyObject *addr = NULL, *size = NULL, *obj;
	const struct tok *name = &l->t[0];
	int ok = 0;

	if (l->count > 1 && (ok = hexval(&l->t[1], &addr)) < 0)
		return -1;
	if (l->count > 2 && (ok = hexval(&l->t[2], &size)) < 0) {
		Py_XDECREF(addr);
		return -1;
	}
	set_pending(sc, NULL, 0);
	if (addr && size) {
		if (tok_is(name, "*fill*"))
			return entry(sc, str_of(name->p, name->n), addr, size, Py_None, 1, 0, 0,
				     Py_None);
		if (!(obj = object_name(sc, l, 3))) {
			Py_DECREF(addr);
			Py_DECREF(size);
			return -1;
		}
		return entry(sc, str_of(name->p, name->n), addr, size, obj, 0, 0, 0,
			     sc->pattern);
	}
	Py_XDECREF(size);
	if (l->count == 1 && !memchr(name->p, '(', name->n)) {
		/* a long input section name; its numbers follow */
		PyObject *s = str_of(name->p, name->n);

		if (!s)
			return -1;
		set_pending(sc, s, 0);
	} else if (!addr && memchr(name->p, '(', name->n)) {
		PyObject *line = str_of(l->p, l->end - l->p), *pattern;

		if (!line)
			return -1;
		pattern = PyObject_CallFunctionObjArgs(sc->normalize, line, NULL);
		Py_DECREF(line);
		if (!pattern)
			return -1;
		replace(&sc->pattern, pattern);
	}
	Py_XDECREF(addr);
	return 0;
}

/* One line of the memory map; 1 when it ends the map */
static int one_line(struct scan *sc, struct line *l)
{
	int ok;

	/* the literals hold no "\n": compared up to the map's end, they stay
	 * in the line */
	if (l->p[0] != ' ') {
		if (has_prefix(l->p, l->limit, "Cross Reference Table") ||
		    appended(l->p, l->limit))
			return 1;
		split(l);
		if (!l->count)
			return 0;
		if (!wslen(l->p, l->limit)) {
			/* an output section, its numbers here or on the next line */
			PyObject *name = str_of(l->t[0].p, l->t[0].n);

			if (!name)
				return -1;
			replace(&sc->output, name);
			set_pending(sc, NULL, 0);
			Py_INCREF(Py_None);
			replace(&sc->pattern, Py_None);
			Py_CLEAR(sc->waiting);
			if ((ok = output_section(sc, name, l, 1)) < 0)
				return -1;
			if (!ok) {
				sc->waiting = name;
				Py_INCREF(name);
			}
			return 0;
		}
	} else {
		split(l);
		if (!l->count)
			return 0;
	}
	/* `0x... name = expr`: a symbol the script assigns */
	if (l->count > 2 && l->has_eq && (ok = hexval(&l->t[0], NULL)) != 0) {
		if (ok < 0 || (ok = hexval(&l->t[1], NULL)) < 0)
			return -1;
		if (!ok)
			return assignment(sc, l) < 0 ? -1 : 0;
	}
	if (!sc->output)
		return 0;
	if (sc->waiting) {
		ok = output_section(sc, sc->waiting, l, 0);
		Py_CLEAR(sc->waiting);
		if (ok < 0 || (ok = hexval(&l->t[0], NULL)) < 0)
			return -1;
		if (ok)
			return 0;
	}
	if (l->p[0] == ' ' && !(l->p + 1 < l->end && l->p[1] == ' ')) {
		if (has_prefix(l->p, l->end, " ** "))
			return gold(sc, l);
		return input(sc, l);
	}
	return numbers(sc, l);
}

/* Set up what gnu() and discarded() build entries with; -1 on error */
static int scan_init(struct scan *sc, PyObject *entry_type)
{
	PyObject *fields;

	memset(sc, 0, sizeof(*sc));
	sc->pattern = Py_None;
	Py_INCREF(sc->pattern);
	if (!PyType_Check(entry_type) ||
	    !PyType_IsSubtype((PyTypeObject *)entry_type, &PyTuple_Type)) {
		PyErr_SetString(PyExc_TypeError, "MapEntry must be a tuple subclass");
		return -1;
	}
	sc->tuple_new = (newfunc)PyType_GetSlot(&PyTuple_Type, Py_tp_new);
	sc->entry_type = entry_type;
	sc->entries = PyList_New(0);
	fields = PyTuple_New(9);
	sc->args = fields ? PyTuple_Pack(1, fields) : NULL;
	sc->tuple = fields;
	Py_XDECREF(fields);
	return sc->tuple_new && sc->entries && sc->args ? 0 : -1;
}

static void scan_free(struct scan *sc)
{
	size_t k;

	Py_XDECREF(sc->entries);
	Py_XDECREF(sc->sections);
	Py_XDECREF(sc->assigned);
	Py_XDECREF(sc->args);
	Py_XDECREF(sc->output);
	Py_XDECREF(sc->waiting);
	Py_XDECREF(sc->pattern);
	Py_XDECREF(sc->pending);
	for (k = 0; k < sc->nslots; k++) {
		Py_XDECREF(sc->slots[k].obj);
		free(sc->slots[k].key);
	}
	free(sc->slots);
	free(sc->buf);
}

/*
 * gnu(map, start, normalize, MapEntry)
 *
 * map        the map's bytes (lines ending in "\n" alone)
 * start      the offset the memory map starts at (after its heading)
 * normalize  ldscript.normalize, for the patterns (` *(.text .text.*)`)
 * MapEntry   mapfile.MapEntry, a tuple subclass
 *
 * Returns (entries, sections, assignments, end): the MapEntry list, the
 * output sections as (name, addr, size, lma) in map order (the first of a
 * name is the one), the `0x... name = expr` lines as " ".join(tokens[1:]),
 * and the offset of the line that ends the map (a cross-reference table,
 * objdump's output) or None.
 */
static PyObject *gnu(PyObject *self, PyObject *args)
{
	PyObject *entry_type, *normalize, *out = NULL, *end = NULL;
	Py_ssize_t start, at, stop = -1;
	const unsigned char *data;
	Py_buffer map;
	struct scan sc;
	(void)self;

	if (!PyArg_ParseTuple(args, "y*nOO", &map, &start, &normalize, &entry_type))
		return NULL;
	data = map.buf;
	if (scan_init(&sc, entry_type) < 0)
		goto done;
	sc.normalize = normalize;
	sc.sections = PyList_New(0);
	sc.assigned = PyList_New(0);
	if (!sc.sections || !sc.assigned)
		goto done;
	for (at = start < 0 ? map.len : start; at < map.len;) {
		struct line l;
		int r;

		l.p = data + at;
		l.limit = data + map.len;
		r = one_line(&sc, &l);
		if (r < 0)
			goto done;
		if (r) {
			stop = at;
			break;
		}
		at = l.end - data + 1;
	}
	if (stop < 0) {
		end = Py_None;
		Py_INCREF(end);
	} else
		end = PyLong_FromSsize_t(stop);
	if (end)
		out = PyTuple_Pack(4, sc.entries, sc.sections, sc.assigned, end);
done:
	Py_XDECREF(end);
	scan_free(&sc);
	PyBuffer_Release(&map);
	return out;
}

/*
 * discarded(map, start, stop, MapEntry)
 *
 * The "Discarded input sections" list, from the line at offset start (the
 * one after its heading) to offset stop at most: MapEntry(name, "", addr,
 * size, object) each, an entry's name alone on its line when it is long.
 * It ends at a blank line after an entry, or at an unindented one.
 */
static PyObject *discarded(PyObject *self, PyObject *args)
{
	PyObject *entry_type, *out = NULL;
	Py_ssize_t start, stop, at;
	const unsigned char *data;
	Py_buffer map;
	struct scan sc;
	struct tok pending = {NULL, 0};
	(void)self;

	if (!PyArg_ParseTuple(args, "y*nnO", &map, &start, &stop, &entry_type))
		return NULL;
	data = map.buf;
	if (stop > map.len)
		stop = map.len;
	if (scan_init(&sc, entry_type) < 0 || !(sc.output = PyUnicode_FromString("")))
		goto done;
	for (at = start < 0 ? stop : start; at < stop;) {
		struct line l;
		PyObject *num[3] = {NULL, NULL, NULL}, *obj;
		const struct tok *name = NULL;
		Py_ssize_t k, first = 0;
		int r = 0;

		l.p = data + at;
		l.limit = data + stop;
		split(&l);
		at = l.end - data + 1;
		if (!l.count) {
			if (PyList_Size(sc.entries))
				break;
			continue;
		}
		if (!wslen(l.p, l.limit))
			break;
		for (k = 0; k < 3 && k < l.count && r >= 0; k++)
			r = hexval(&l.t[k], &num[k]);
		if (r >= 0 && pending.p && l.count >= 2 && num[0] && num[1])
			name = &pending;
		else if (r >= 0 && l.count >= 3 && num[1] && num[2]) {
			name = &l.t[0];
			first = 1;
		} else if (r >= 0 && l.count == 1)
			pending = l.t[0];
		if (name) {
			const unsigned char *p;
			Py_ssize_t n;

			r = join(&sc, &l, first + 2, &p, &n);
			obj = r < 0 ? NULL : n ? str_of(p, n) : Py_None;
			if (obj == Py_None)
				Py_INCREF(obj);
			if (obj) {
				Py_INCREF(num[first]);
				Py_INCREF(num[first + 1]);
				r = entry(&sc, str_of(name->p, name->n), num[first], num[first + 1],
					  obj, 0, 0, 0, Py_None);
				Py_DECREF(obj);
			} else
				r = -1;
			pending.p = NULL;
		}
		for (k = 0; k < 3; k++)
			Py_XDECREF(num[k]);
		if (r < 0)
			goto done;
	}
	out = sc.entries;
	Py_INCREF(out);
done:
	scan_free(&sc);
	PyBuffer_Release(&map);
	return out;
}

/* One byte of a file that is no map, or that breaks its lines besides "\n" */
static int odd(const unsigned char *p, const unsigned char *end)
{
	if (*p == 0)
		return 2;
	if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != 0x1f) ||
	    (p[0] == 0xc2 && end - p > 1 && p[1] == 0x85) ||
	    (p[0] == 0xe2 && end - p > 2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)))
		return 1;
	return 0;
}

/*
 * breaks(raw): 2 when the bytes hold a NUL (no map), else 1 when their
 * text breaks lines at something besides "\n" (what str.splitlines() also
 * breaks at: "\r", "\v", "\f", "\x1c".."\x1e", U+0085, U+2028, U+2029),
 * else 0.  One pass, 16 bytes at a time, for a map of tens of megabytes.
 */
static PyObject *breaks(PyObject *self, PyObject *args)
{
	Py_buffer raw;
	const unsigned char *p, *end;
	int found = 0;
	(void)self;

	if (!PyArg_ParseTuple(args, "y*", &raw))
		return NULL;
	p = raw.buf;
	end = p + raw.len;
	while (p < end && !found) {
#if defined(__GNUC__)
		typedef unsigned char v16 __attribute__((vector_size(16)));
		typedef signed char m16 __attribute__((vector_size(16)));

		for (; end - p >= 16; p += 16) {
			v16 x;
			m16 m;
			uint64_t w[2];

			memcpy(&x, p, 16);
			/* the bytes odd() may stop at: the controls but "\t",
			 * "\n" and "\x1f", and the lead bytes of the others */
			m = (x < 0x20) & (x != '\t') & (x != '\n') & (x != 0x1f);
			m |= (x == 0xc2) | (x == 0xe2);
			memcpy(w, &m, 16);
			if (w[0] | w[1])
				break;
		}
#endif
		for (const unsigned char *block = p; p < end && p < block + 16 && !found; p++)
			found = odd(p, end);
	}
	/* a NUL anywhere is no map, whatever came before it */
	if (found == 1 && p < end && memchr(p, 0, end - p))
		found = 2;
	PyBuffer_Release(&raw);
	return PyLong_FromLong(found);
}

static PyMethodDef methods[] = {
	{"gnu", gnu, METH_VARARGS, "The memory map of a GNU ld or gold map: its entries, "
	 "output sections, assignments and where it ends."},
	{"discarded", discarded, METH_VARARGS, "The entries of the \"Discarded input "
	 "sections\" list."},
	{"breaks", breaks, METH_VARARGS, "2 for a NUL, 1 for a line break besides \"\\n\", "
	 "else 0."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_mapfile", "The link map reader's per-line loop.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__mapfile(void)
{
	int c;

	for (c = 0; c < 256; c++)
		hexdig[c] = c >= 0x80 ? HEX_WIDE : c == '_' ? HEX_SEP : HEX_NOT;
	for (c = 0; c < 10; c++)
		hexdig['0' + c] = c;
	for (c = 0; c < 6; c++)
		hexdig['a' + c] = hexdig['A' + c] = 10 + c;
	return PyModule_Create(&module);
}
