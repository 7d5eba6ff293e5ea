/*
 * membudget.read._elf: the ELF reader's per-symbol loop, in C.
 *
 * A symbol table of a large image has 10^5..10^6 entries; decoding them
 * one Python statement at a time was a tenth of a report.  elf.py checks
 * the table's shape (entry size, string table link) and keeps every error
 * message; this decodes the entries and hands back model.Symbol tuples.
 *
 * Built against the limited API (abi3): one .so serves every CPython 3.11+.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define STT_FILE 4
#define STT_FUNC 2
#define SHN_XINDEX 0xffff

static uint32_t get32(const unsigned char *p, int big)
{
	return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t get16(const unsigned char *p, int big)
{
	return big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint64_t get64(const unsigned char *p, int big)
{
	uint64_t lo = get32(p + (big ? 4 : 0), big), hi = get32(p + (big ? 0 : 4), big);
	return hi << 32 | lo;
}

/*
 * One name out of the string table, or NULL with `*bad` set for an offset
 * outside the table or a name without its NUL (elf.py's _string() says
 * which).
 */
static PyObject *name_at(const char *strings, Py_ssize_t len, uint32_t off, int *bad)
{
	const char *end;

	if (off == 0)
		return PyUnicode_FromStringAndSize("", 0);
	end = off < (uint64_t)len ? memchr(strings + off, 0, (size_t)(len - off)) : NULL;
	if (!end) {
		*bad = 1;
		return NULL;
	}
	return PyUnicode_DecodeUTF8(strings + off, end - (strings + off), "replace");
}

/*
 * symbols(raw, strings, bits, big, xindex, thumb, Symbol, kinds, bindings)
 *
 * raw      the symbol table's bytes (entry 0 included, then skipped)
 * strings  its string table's bytes
 * xindex   a sequence of SHT_SYMTAB_SHNDX entries, or None
 * Symbol   model.Symbol, a tuple subclass
 * kinds, bindings  16 names each, for st_info's halves
 *
 * Returns the list of Symbol, or raises ValueError(number, offset) for a
 * bad name: elf.py turns it into the reader's one-line error.
 */
static PyObject *symbols(PyObject *self, PyObject *args)
{
	Py_buffer raw, str;
	int bits, big, thumb;
	PyObject *xindex, *Symbol, *kinds, *bindings;
	PyObject *kind_names[16] = {NULL}, *binding_names[16] = {NULL};
	PyObject *out = NULL, *file = Py_None;
	allocfunc alloc;
	Py_ssize_t entsize, count, n, nx = 0;
	int i;
	(void)self;

	if (!PyArg_ParseTuple(args, "y*y*iiOpOOO", &raw, &str, &bits, &big, &xindex,
			      &thumb, &Symbol, &kinds, &bindings))
		return NULL;
	/* Symbol is a tuple subclass: its instances are made as tuple.__new__
	 * would make them, by its allocator, then filled in place */
	alloc = PyType_Check(Symbol) ? (allocfunc)PyType_GetSlot((PyTypeObject *)Symbol, Py_tp_alloc)
				     : NULL;
	if (!alloc || !PyObject_IsSubclass(Symbol, (PyObject *)&PyTuple_Type)) {
		PyErr_SetString(PyExc_TypeError, "Symbol must be a tuple subclass");
		goto done;
	}
	for (i = 0; i < 16; i++) {
		kind_names[i] = PySequence_GetItem(kinds, i);
		binding_names[i] = PySequence_GetItem(bindings, i);
		if (!kind_names[i] || !binding_names[i])
			goto done;
	}
	entsize = bits == 32 ? 16 : 24;
	count = raw.len / entsize;
	if (xindex != Py_None && (nx = PySequence_Length(xindex)) < 0)
		goto done;
	out = PyList_New(count > 0 ? count - 1 : 0);
	if (!out)
		goto done;
	Py_INCREF(file);
	for (n = 1; n < count; n++) {
		const unsigned char *e = (const unsigned char *)raw.buf + n * entsize;
		uint32_t name;
		uint64_t value, size;
		unsigned info, shndx, kind, binding;
		int bad = 0;
		PyObject *sname, *sym, *owner;

		if (bits == 32) {
			name = get32(e, big);
			value = get32(e + 4, big);
			size = get32(e + 8, big);
			info = e[12];
			shndx = get16(e + 14, big);
		} else {
			name = get32(e, big);
			info = e[4];
			shndx = get16(e + 6, big);
			value = get64(e + 8, big);
			size = get64(e + 16, big);
		}
		kind = info & 0xf;
		binding = info >> 4;
		sname = name_at(str.buf, str.len, name, &bad);
		if (!sname) {
			if (bad) {
				PyObject *why = Py_BuildValue("(nI)", n, name);
				if (why) {
					PyErr_SetObject(PyExc_ValueError, why);
					Py_DECREF(why);
				}
			}
			goto fail;
		}
		if (shndx == SHN_XINDEX && n < nx) {
			PyObject *x = PySequence_GetItem(xindex, n);
			long v = x ? PyLong_AsLong(x) : -1;
			Py_XDECREF(x);
			if (v == -1 && PyErr_Occurred()) {
				Py_DECREF(sname);
				goto fail;
			}
			shndx = (unsigned)v;
		}
		if (kind == STT_FILE) {
			Py_DECREF(file);
			file = PyUnicode_GetLength(sname) > 0 ? sname : Py_None;
			Py_INCREF(file);
		}
		if (thumb && kind == STT_FUNC)
			value &= ~(uint64_t)1;
		sym = alloc((PyTypeObject *)Symbol, 7);
		if (!sym) {
			Py_DECREF(sname);
			goto fail;
		}
		/* Stored before the list owns it, so a failure frees it whole */
		owner = binding == 0 && kind != STT_FILE ? file : Py_None;
		Py_INCREF(kind_names[kind]);
		Py_INCREF(binding_names[binding]);
		Py_INCREF(owner);
		if (PyTuple_SetItem(sym, 0, sname) < 0 ||
		    PyTuple_SetItem(sym, 1, PyLong_FromUnsignedLongLong(value)) < 0 ||
		    PyTuple_SetItem(sym, 2, PyLong_FromUnsignedLongLong(size)) < 0 ||
		    PyTuple_SetItem(sym, 3, PyLong_FromUnsignedLong(shndx)) < 0 ||
		    PyTuple_SetItem(sym, 4, kind_names[kind]) < 0 ||
		    PyTuple_SetItem(sym, 5, binding_names[binding]) < 0 ||
		    PyTuple_SetItem(sym, 6, owner) < 0) {
			Py_DECREF(sym);
			goto fail;
		}
		for (i = 1; i < 4; i++)
			if (!PyTuple_GetItem(sym, i)) {
				PyErr_NoMemory();
				Py_DECREF(sym);
				goto fail;
			}
		PyList_SetItem(out, n - 1, sym);
	}
	Py_DECREF(file);
	goto done;
fail:
	Py_DECREF(file);
	Py_CLEAR(out);
done:
	for (i = 0; i < 16; i++) {
		Py_XDECREF(kind_names[i]);
		Py_XDECREF(binding_names[i]);
	}
	PyBuffer_Release(&raw);
	PyBuffer_Release(&str);
	return out;
}

static PyMethodDef methods[] = {
	{"symbols", symbols, METH_VARARGS, "Decode an ELF symbol table into model.Symbol tuples."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_elf", "The ELF reader's per-symbol loop.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__elf(void)
{
	return PyModule_Create(&module);
}
