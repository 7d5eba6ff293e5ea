/*
 * membudget.read._ehframe: the walk over .eh_frame's records, in C.
 *
 * A hosted image has one FDE per function (10^4..10^5); reading each
 * record's length, CIE pointer and pc_begin one Python statement at a
 * time was most of what .eh_frame cost an attribution.  ehframe.py keeps
 * the CIEs (their augmentation, rare encodings) and every message: this
 * calls back into it for those, and for a field the section is too short
 * for it lets struct.unpack_from() say so, as before.
 *
 * Built against the limited API (abi3): one .so serves every CPython 3.11+.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t get(const unsigned char *p, int n, int big)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[big ? i : n - 1 - i] << 8 * (n - 1 - i);
	return v;
}

/* A Python int of a signed 128-bit value (pc_begin can pass 64 bits) */
static PyObject *from_wide(__int128 v)
{
	PyObject *hi, *lo, *n64, *shifted = NULL, *out = NULL;

	if (v >= INT64_MIN && v <= INT64_MAX)
		return PyLong_FromLongLong((long long)v);
	if (v >= 0 && v <= (__int128)UINT64_MAX)
		return PyLong_FromUnsignedLongLong((unsigned long long)v);
	hi = PyLong_FromLongLong((long long)(v >> 64));
	lo = PyLong_FromUnsignedLongLong((uint64_t)v);
	n64 = PyLong_FromLong(64);
	if (hi && lo && n64 && (shifted = PyNumber_Lshift(hi, n64)))
		out = PyNumber_Or(shifted, lo);
	Py_XDECREF(hi);
	Py_XDECREF(lo);
	Py_XDECREF(n64);
	Py_XDECREF(shifted);
	return out;
}

/* A field the bytes are too short for: struct.unpack_from() raises */
static int short_read(PyObject *unpack, const char *code, Py_ssize_t at)
{
	PyObject *r = PyObject_CallFunction(unpack, "sn", code, at);

	Py_XDECREF(r);
	if (r)
		PyErr_Format(PyExc_ValueError, "short read at %zd", at);
	return -1;
}

/* ehframe.py's message for a bad record (Python's {pos:#x}) */
static void bad(Py_ssize_t pos, const char *format)
{
	char text[96];

	snprintf(text, sizeof(text), format, (size_t)pos);
	PyErr_SetString(PyExc_ValueError, text);
}

/* What a CIE says of its FDEs' pc_begin: a fixed-size code, or not */
struct cie {
	Py_ssize_t pos;
	int size, sign, pcrel, direct;
};

/*
 * fdes(blob, big, base, cie, pointer, unpack)
 *
 * blob     the .eh_frame section's bytes, at address base
 * cie      cie(pos, body, end): the CIE at pos read (ehframe.py); returns
 *          (code, pc-relative) for a pc_begin of a struct code (H I Q h i
 *          q), or None: then pointer(field, cie) decodes it
 * unpack   unpack(code, offset): struct.unpack_from() on blob, called
 *          only to raise its error for a field past the end
 *
 * Returns [(offset, size, pc_begin)] for every FDE, or raises ValueError
 * with ehframe.py's message for a record past the end or an FDE without
 * its CIE (and whatever the callbacks raise).
 */
static PyObject *fdes(PyObject *self, PyObject *args)
{
	Py_buffer blob;
	int big;
	unsigned long long base;
	PyObject *cie_cb, *pointer_cb, *unpack, *out = NULL;
	struct cie *cies = NULL, *last = NULL;
	Py_ssize_t ncies = 0, cap = 0, pos = 0, size;
	const unsigned char *b;
	(void)self;

	if (!PyArg_ParseTuple(args, "y*pKOOO", &blob, &big, &base, &cie_cb, &pointer_cb,
			      &unpack))
		return NULL;
	b = blob.buf;
	size = blob.len;
	out = PyList_New(0);
	if (!out)
		goto done;
	while (pos + 4 <= size) {
		uint64_t length = get(b + pos, 4, big);
		Py_ssize_t body = pos + 4, field;
		unsigned __int128 end;
		uint32_t cie_id;
		PyObject *pc, *rec;
		struct cie *c = NULL;

		if (length == 0) {  /* terminator */
			pos = body;
			continue;
		}
		if (length == 0xFFFFFFFF) {
			if (body + 8 > size) {
				short_read(unpack, "Q", body);
				goto fail;
			}
			length = get(b + body, 8, big);
			body += 8;
		}
		end = (unsigned __int128)body + length;
		if (end > (unsigned __int128)size) {
			bad(pos, "record at 0x%zx runs past the section");
			goto fail;
		}
		if (body + 4 > size) {
			short_read(unpack, "I", body);
			goto fail;
		}
		cie_id = (uint32_t)get(b + body, 4, big);
		if (cie_id == 0) {
			PyObject *how = PyObject_CallFunction(cie_cb, "nnn", pos, body,
							      (Py_ssize_t)end);
			struct cie *n;

			if (!how)
				goto fail;
			if (ncies == cap) {
				cap = cap ? 2 * cap : 64;
				n = PyMem_Realloc(cies, (size_t)cap * sizeof(*cies));
				if (!n) {
					Py_DECREF(how);
					PyErr_NoMemory();
					goto fail;
				}
				cies = n;
			}
			n = &cies[ncies];
			memset(n, 0, sizeof(*n));
			n->pos = pos;
			if (how != Py_None) {
				const char *code;
				int pcrel;

				if (!PyArg_ParseTuple(how, "sp", &code, &pcrel) || strlen(code) != 1 ||
				    !strchr("HIQhiq", code[0])) {
					if (!PyErr_Occurred())
						PyErr_SetString(PyExc_TypeError, "a CIE's code");
					Py_DECREF(how);
					goto fail;
				}
				n->direct = 1;
				n->size = code[0] == 'H' || code[0] == 'h' ? 2 :
					  code[0] == 'I' || code[0] == 'i' ? 4 : 8;
				n->sign = code[0] >= 'a';
				n->pcrel = pcrel;
			}
			Py_DECREF(how);
			ncies++;        /* records only move forward: cies stays sorted */
			last = NULL;
			pos = (Py_ssize_t)end;
			continue;
		}
		/* the CIE this FDE points back to, usually the last one used */
		if ((Py_ssize_t)cie_id <= body) {
			Py_ssize_t at = body - (Py_ssize_t)cie_id, lo = 0, hi = ncies;

			if (last && last->pos == at)
				c = last;
			else {
				while (lo < hi) {
					Py_ssize_t mid = (lo + hi) / 2;

					if (cies[mid].pos < at)
						lo = mid + 1;
					else
						hi = mid;
				}
				if (lo < ncies && cies[lo].pos == at)
					c = last = &cies[lo];
			}
		}
		if (!c) {
			bad(pos, "FDE at 0x%zx points to no CIE");
			goto fail;
		}
		field = body + 4;
		if (!c->direct) {
			pc = PyObject_CallFunction(pointer_cb, "nn", field, c->pos);
		} else {
			__int128 v;

			if (field + c->size > size) {
				static const char *codes[2][9] = {
					{ "", "", "H", "", "I", "", "", "", "Q" },
					{ "", "", "h", "", "i", "", "", "", "q" },
				};
				short_read(unpack, codes[c->sign][c->size], field);
				goto fail;
			}
			v = (__int128)get(b + field, c->size, big);
			if (c->sign && v >> (8 * c->size - 1))
				v -= (__int128)1 << (8 * c->size);
			if (c->pcrel)
				v += (__int128)base + field;
			pc = from_wide(v);
		}
		if (!pc)
			goto fail;
		rec = Py_BuildValue("(nnN)", pos, (Py_ssize_t)end - pos, pc);
		if (!rec || PyList_Append(out, rec) < 0) {
			Py_XDECREF(rec);
			goto fail;
		}
		Py_DECREF(rec);
		pos = (Py_ssize_t)end;
	}
	goto done;
fail:
	Py_CLEAR(out);
done:
	PyMem_Free(cies);
	PyBuffer_Release(&blob);
	return out;
}

static PyMethodDef methods[] = {
	{"fdes", fdes, METH_VARARGS, "Walk .eh_frame's records: (offset, size, pc) per FDE."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_ehframe", "The walk over .eh_frame's records.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ehframe(void)
{
	return PyModule_Create(&module);
}
