/*
 * membudget.read._ehframe: the .eh_frame reader's per-record loop, in C.
 *
 * A hosted image's .eh_frame has a record per function (u2000: 62k FDEs);
 * decoding them one Python statement at a time was a few hundredths of a
 * second of every report.  ehframe.py finds the section and keeps every
 * error message; this walks the records, reads each CIE's pointer
 * encoding and each FDE's pc_begin.
 *
 * The bytes are untrusted: every read is checked against the section; a
 * problem is ValueError(kind, values...) that ehframe.py turns into its
 * message.  LEB128 values wider than 64 bits saturate.
 *
 * Built against the limited API (abi3): one .so serves every CPython 3.11+.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define PE_ULEB 0x01
#define PE_SLEB 0x09
#define PE_PCREL 0x10

struct blob {
	const unsigned char *b;
	uint64_t size;
	int big;
	unsigned addr_size;	/* DW_EH_PE_absptr's */
};

static uint64_t getn(const unsigned char *p, unsigned n, int big)
{
	uint64_t v = 0;
	unsigned i;

	if (big)
		for (i = 0; i < n; i++)
			v = v << 8 | p[i];
	else
		for (i = n; i-- > 0;)
			v = v << 8 | p[i];
	return v;
}

static int avail(uint64_t pos, uint64_t n, uint64_t size)
{
	return pos <= size && n <= size - pos;
}

static int problem(const char *format, ...)
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
	return -1;
}

static int past(uint64_t pos)
{
	return problem("(sK)", "past", (unsigned long long)pos);
}

/* LEB128 at *pos: 0, or -1 past the end; the value as an unsigned or a
 * signed 64-bit number, saturated when it is wider */
static int leb(const struct blob *s, uint64_t *pos, int sign, uint64_t *out)
{
	uint64_t p = *pos, v = 0;
	unsigned shift = 0, byte;
	int lost = 0;

	do {
		if (p >= s->size)
			return past(p);
		byte = s->b[p++];
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
	if (sign && (byte & 0x40) && shift < 64)
		v |= ~(uint64_t)0 << shift;
	if (lost)
		v = sign && (byte & 0x40) ? (uint64_t)INT64_MIN : sign ? (uint64_t)INT64_MAX : UINT64_MAX;
	*out = v;
	*pos = p;
	return 0;
}

/* Bytes of a fixed-size pointer format and whether it is signed; 0 for
 * LEB128 and the formats GCC, clang and GNU ld never emit */
static unsigned format_size(const struct blob *s, unsigned fmt, int *sign)
{
	*sign = fmt >= 0x0a;
	switch (fmt) {
	case 0x00: return s->addr_size;
	case 0x02: case 0x0a: return 2;
	case 0x03: case 0x0b: return 4;
	case 0x04: case 0x0c: return 8;
	default: return 0;
	}
}

/* value (signed or not) + base + field as Python's unbounded int: a new
 * reference */
static PyObject *sum(uint64_t value, int sign, uint64_t base, uint64_t field)
{
	PyObject *terms[3], *total = NULL;
	uint64_t at = base + field;
	int i;

	if (at >= base) {
		if (!sign || (int64_t)value >= 0) {
			if (value + at >= value)
				return PyLong_FromUnsignedLongLong(value + at);
		} else if (at >= (uint64_t)0 - value) {
			return PyLong_FromUnsignedLongLong(at + value);
		} else if (at <= (uint64_t)INT64_MAX) {
			return PyLong_FromLongLong((int64_t)value + (int64_t)at);
		}
	}
	terms[0] = sign ? PyLong_FromLongLong((int64_t)value) : PyLong_FromUnsignedLongLong(value);
	terms[1] = PyLong_FromUnsignedLongLong(base);
	terms[2] = PyLong_FromUnsignedLongLong(field);
	if (terms[0] && terms[1] && terms[2]) {
		PyObject *part = PyNumber_Add(terms[0], terms[1]);

		total = part ? PyNumber_Add(part, terms[2]) : NULL;
		Py_XDECREF(part);
	}
	for (i = 0; i < 3; i++)
		Py_XDECREF(terms[i]);
	return total;
}

/*
 * Decode one encoded pointer at *pos (enc: DW_EH_PE_*): its value, plus
 * base + *pos when pc-relative; a new reference, or NULL with the problem
 * raised.  Only absolute and pc-relative applications are read.
 */
static PyObject *pointer(const struct blob *s, uint64_t *pos, unsigned enc, uint64_t base)
{
	unsigned fmt = enc & 0x0f, size;
	uint64_t value, field = *pos;
	int sign;

	if (fmt == PE_ULEB || fmt == PE_SLEB) {
		sign = fmt == PE_SLEB;
		if (leb(s, pos, sign, &value))
			return NULL;
	} else {
		size = format_size(s, fmt, &sign);
		if (!size) {
			problem("(sI)", "encoding", enc);
			return NULL;
		}
		if (!avail(*pos, size, s->size)) {
			past(*pos);
			return NULL;
		}
		value = getn(s->b + *pos, size, s->big);
		if (sign && size < 8 && value >> (8 * size - 1))
			value |= ~(uint64_t)0 << (8 * size);
		*pos += size;
	}
	if ((enc & 0x70) == PE_PCREL)
		return sum(value, sign, base, field);
	if (enc & 0x70) {
		problem("(sI)", "application", enc);
		return NULL;
	}
	return sign ? PyLong_FromLongLong((int64_t)value) : PyLong_FromUnsignedLongLong(value);
}

/* The FDE pointer encoding the CIE at start announces (augmentation 'R'),
 * 0 without */
static int cie_encoding(const struct blob *s, uint64_t start, uint64_t body, uint64_t end,
			unsigned *enc)
{
	uint64_t pos = body + 5, aug, aug_end, skip, k;
	const unsigned char *nul;
	unsigned version;
	int eh = 0;

	*enc = 0;
	if (!avail(body + 4, 1, s->size))
		return past(body + 4);
	version = s->b[body + 4];
	/* the augmentation string ends within the record */
	nul = pos < end ? memchr(s->b + pos, 0, (size_t)(end - pos)) : NULL;
	if (!nul)
		return problem("(sK)", "augmentation", (unsigned long long)start);
	aug = pos;
	aug_end = (uint64_t)(nul - s->b);
	pos = aug_end + 1;
	for (k = aug; k + 1 < aug_end; k++)
		eh |= s->b[k] == 'e' && s->b[k + 1] == 'h';
	if (eh)
		pos += s->addr_size;
	if (leb(s, &pos, 0, &skip) || leb(s, &pos, 1, &skip))	/* code, data alignment */
		return -1;
	if (version == 1)
		pos += 1;
	else if (leb(s, &pos, 0, &skip))	/* return address register */
		return -1;
	if (aug_end == aug || s->b[aug] != 'z')
		return 0;
	if (leb(s, &pos, 0, &skip))		/* augmentation data length */
		return -1;
	for (k = aug + 1; k < aug_end; k++) {
		unsigned letter = s->b[k];

		if (letter == 'R') {
			if (!avail(pos, 1, s->size))
				return past(pos);
			*enc = s->b[pos++];
		} else if (letter == 'L') {
			pos++;
		} else if (letter == 'P') {
			PyObject *personality;
			unsigned penc;

			if (!avail(pos, 1, s->size))
				return past(pos);
			penc = s->b[pos++] & 0x0f;
			personality = pointer(s, &pos, penc, 0);
			if (!personality)
				return -1;
			Py_DECREF(personality);
		} else if (letter != 'S' && letter != 'B') {
			break;
		}
	}
	return 0;
}

/* The CIEs seen so far, by offset (increasing: the walk goes forward) */
struct cies {
	uint64_t *at;
	unsigned *enc;
	size_t n, cap;
};

static int cie_add(struct cies *c, uint64_t at, unsigned enc)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		uint64_t *a = PyMem_Realloc(c->at, cap * sizeof(*a));
		unsigned *e;

		if (!a) {
			PyErr_NoMemory();
			return -1;
		}
		c->at = a;
		e = PyMem_Realloc(c->enc, cap * sizeof(*e));
		if (!e) {
			PyErr_NoMemory();
			return -1;
		}
		c->enc = e;
		c->cap = cap;
	}
	c->at[c->n] = at;
	c->enc[c->n++] = enc;
	return 0;
}

static int cie_find(const struct cies *c, uint64_t at, unsigned *enc)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->at[mid] < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n || c->at[lo] != at)
		return 0;
	*enc = c->enc[lo];
	return 1;
}

/*
 * fdes(blob, big, addr_size, base)
 *
 * Every FDE of an .eh_frame's bytes (the section at address base):
 * [(offset, size, pc_begin)], offsets relative to the section.
 */
static PyObject *py_fdes(PyObject *self, PyObject *args)
{
	struct cies cies = { NULL, NULL, 0, 0 };
	unsigned long long base;
	PyObject *found;
	struct blob s;
	Py_buffer raw;
	uint64_t pos = 0;
	unsigned addr_size;
	int big;
	(void)self;

	if (!PyArg_ParseTuple(args, "y*pIK", &raw, &big, &addr_size, &base))
		return NULL;
	s.b = raw.buf;
	s.size = (uint64_t)raw.len;
	s.big = big;
	s.addr_size = addr_size == 4 ? 4 : 8;
	found = PyList_New(0);
	while (found && pos + 4 <= s.size) {
		uint64_t length = getn(s.b + pos, 4, big), body = pos + 4, end, cie_id;
		unsigned enc;

		if (length == 0) {		/* terminator */
			pos = body;
			continue;
		}
		if (length == 0xffffffff) {
			if (!avail(body, 8, s.size)) {
				past(body);
				goto fail;
			}
			length = getn(s.b + body, 8, big);
			body += 8;
		}
		end = body + length;
		if (end < body || end > s.size) {
			problem("(sK)", "runs past", (unsigned long long)pos);
			goto fail;
		}
		if (!avail(body, 4, s.size)) {
			past(body);
			goto fail;
		}
		cie_id = getn(s.b + body, 4, big);
		if (cie_id == 0) {
			if (cie_encoding(&s, pos, body, end, &enc) || cie_add(&cies, pos, enc))
				goto fail;
		} else {
			uint64_t field = body + 4;
			PyObject *pc, *fde;

			if (cie_id > body || !cie_find(&cies, body - cie_id, &enc)) {
				problem("(sK)", "no CIE", (unsigned long long)pos);
				goto fail;
			}
			pc = pointer(&s, &field, enc, base);
			fde = pc ? Py_BuildValue("(KKN)", (unsigned long long)pos,
						 (unsigned long long)(end - pos), pc) : NULL;
			if (!fde || PyList_Append(found, fde) < 0) {
				Py_XDECREF(fde);
				goto fail;
			}
			Py_DECREF(fde);
		}
		pos = end;
	}
	goto done;
fail:
	Py_CLEAR(found);
done:
	PyMem_Free(cies.at);
	PyMem_Free(cies.enc);
	PyBuffer_Release(&raw);
	return found;
}

static PyMethodDef methods[] = {
	{"fdes", py_fdes, METH_VARARGS, "Every FDE of an .eh_frame: (offset, size, pc_begin)."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_ehframe", "The .eh_frame reader's per-record loop.", -1,
	methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ehframe(void)
{
	return PyModule_Create(&module);
}
