/*
 * membudget.analysis._attribute: attribution's per-claim loops, in C.
 *
 * A large image makes 10^5..10^6 claims (one per unit range, map entry,
 * sized symbol) and as many runs of bytes; sweeping them, cutting the
 * runs into pieces and checking that the pieces tile every section one
 * Python statement at a time was most of an attribution.  attribute.py
 * decides what each source claims, keeps the rules that need context
 * (strings from object files, component globs) and every message; this
 * does the loops over the claims' columns, the symbol table and the pieces.
 *
 * Built against the limited API (abi3): one .so serves every CPython 3.11+.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A payload: (rank, component, bucket, file, symbol, source, cls) */
enum { P_RANK, P_COMPONENT, P_BUCKET, P_FILE, P_SYMBOL, P_SOURCE, P_CLS, P_FIELDS };
/* What a claim names, for the sweep */
enum { F_OWNER = 1, F_FILE = 2, F_SYMBOL = 4, F_CLS = 8, F_MAP = 16 };

#define NONE UINT32_MAX

struct claim {
	uint64_t start, end;
	uint32_t rank;
	uint8_t flags;
};

struct order {
	uint64_t start;
	uint32_t k;
};

/* One run of the sweep: the winning claims' places, or NONE */
typedef int (*emit_fn)(void *ctx, uint64_t start, uint64_t end, uint32_t owner,
		       uint32_t file, uint32_t symbol, uint32_t cls);

static int before(const struct order *x, const struct order *y)
{
	return x->start < y->start || (x->start == y->start && x->k < y->k);
}

/*
 * Sort by (start, place): each source adds its claims mostly in address
 * order, so the columns are a few long ascending runs, merged pairwise.
 */
static int sort_order(struct order *order, Py_ssize_t count)
{
	struct order *tmp, *src = order, *dst;
	Py_ssize_t *bounds, nruns = 0, i;

	for (i = 1; i < count; i++)
		if (before(&order[i], &order[i - 1]))
			nruns++;
	if (!nruns)
		return 0;
	tmp = PyMem_Malloc((size_t)count * sizeof(*tmp));
	bounds = PyMem_Malloc((size_t)(nruns + 2) * sizeof(*bounds));
	if (!tmp || !bounds) {
		PyMem_Free(tmp);
		PyMem_Free(bounds);
		PyErr_NoMemory();
		return -1;
	}
	nruns = 0;
	bounds[nruns++] = 0;
	for (i = 1; i < count; i++)
		if (before(&order[i], &order[i - 1]))
			bounds[nruns++] = i;
	bounds[nruns] = count;      /* nruns runs: [bounds[r], bounds[r + 1]) */
	dst = tmp;
	while (nruns > 1) {
		Py_ssize_t r, merged = 0;

		for (r = 0; r < nruns; r += 2) {
			Py_ssize_t a = bounds[r], mid = bounds[r + 1 < nruns ? r + 1 : nruns];
			Py_ssize_t end = bounds[r + 2 <= nruns ? r + 2 : nruns], b = mid, o = a;

			while (a < mid && b < end)
				dst[o++] = before(&src[b], &src[a]) ? src[b++] : src[a++];
			while (a < mid)
				dst[o++] = src[a++];
			while (b < end)
				dst[o++] = src[b++];
			bounds[merged++] = bounds[r];
		}
		bounds[merged] = count;
		nruns = merged;
		dst = src;
		src = src == order ? tmp : order;
	}
	if (src != order)
		memcpy(order, src, (size_t)count * sizeof(*order));
	PyMem_Free(tmp);
	PyMem_Free(bounds);
	return 0;
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int truth(PyObject *tuple, Py_ssize_t i)
{
	PyObject *v = PyTuple_GetItem(tuple, i);

	return v ? PyObject_IsTrue(v) : -1;
}

/* Decoded payloads by address: a section's claims share a few thousand */
#define CACHE 4096
struct decoded {
	PyObject *payload;
	uint32_t rank;
	uint8_t flags;
};

/*
 * Read one section's columns into claims[]: starts and ends are arrays of
 * unsigned 64-bit offsets, payloads a list of payload tuples (shared, so
 * each is decoded about once).
 */
static struct claim *read_claims(PyObject *starts, PyObject *ends, PyObject *payloads,
				 PyObject *map_source, Py_ssize_t *count)
{
	Py_buffer s, e;
	struct claim *claims = NULL;
	struct decoded *cache = NULL;
	Py_ssize_t n, k;

	if (PyObject_GetBuffer(starts, &s, PyBUF_FORMAT) < 0)
		return NULL;
	if (PyObject_GetBuffer(ends, &e, PyBUF_FORMAT) < 0) {
		PyBuffer_Release(&s);
		return NULL;
	}
	n = s.len / 8;
	if (s.itemsize != 8 || e.itemsize != 8 || e.len != s.len || !PyList_Check(payloads)
	    || PyList_Size(payloads) != n || n >= (Py_ssize_t)NONE) {
		PyErr_SetString(PyExc_ValueError, "claim columns of different lengths");
		goto done;
	}
	claims = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(*claims));
	if (!claims) {
		PyErr_NoMemory();
		goto done;
	}
	cache = PyMem_Calloc(CACHE, sizeof(*cache));
	if (!cache) {
		PyErr_NoMemory();
		goto fail;
	}
	for (k = 0; k < n; k++) {
		PyObject *p = PyList_GetItem(payloads, k);
		struct decoded *d = &cache[((uintptr_t)p >> 4) % CACHE];

		if (d->payload != p) {
			int owner, bucket, file, symbol, cls, map;
			long r;

			if (!PyTuple_Check(p) || PyTuple_Size(p) < P_FIELDS) {
				PyErr_SetString(PyExc_TypeError, "a claim's payload is a 7-tuple");
				goto fail;
			}
			r = PyLong_AsLong(PyTuple_GetItem(p, P_RANK));
			if (r == -1 && PyErr_Occurred())
				goto fail;
			owner = truth(p, P_COMPONENT);
			bucket = truth(p, P_BUCKET);
			file = truth(p, P_FILE);
			symbol = truth(p, P_SYMBOL);
			cls = truth(p, P_CLS);
			map = PyObject_RichCompareBool(PyTuple_GetItem(p, P_SOURCE), map_source,
						       Py_EQ);
			if (owner < 0 || bucket < 0 || file < 0 || symbol < 0 || cls < 0 || map < 0)
				goto fail;
			if (r < 0 || r > 0xffff) {
				PyErr_SetString(PyExc_ValueError, "a claim's rank is out of range");
				goto fail;
			}
			d->payload = p;
			d->rank = (uint32_t)r;
			d->flags = (owner || bucket ? F_OWNER : 0) | (file ? F_FILE : 0) |
				   (symbol ? F_SYMBOL : 0) | (cls ? F_CLS : 0) | (map ? F_MAP : 0);
		}
		claims[k].rank = d->rank;
		claims[k].flags = d->flags;
		claims[k].start = ((const uint64_t *)s.buf)[k];
		claims[k].end = ((const uint64_t *)e.buf)[k];
	}
	*count = n;
	goto done;
fail:
	PyMem_Free(claims);
	claims = NULL;
done:
	PyMem_Free(cache);
	PyBuffer_Release(&s);
	PyBuffer_Release(&e);
	return claims;
}

/* A binary min-heap of keys (rank or class order << 32 | place) */
struct heap {
	uint64_t *keys;
	Py_ssize_t len;
};

static void heap_push(struct heap *h, uint64_t key)
{
	Py_ssize_t i = h->len++;

	while (i > 0) {
		Py_ssize_t up = (i - 1) / 2;

		if (h->keys[up] <= key)
			break;
		h->keys[i] = h->keys[up];
		i = up;
	}
	h->keys[i] = key;
}

static void heap_pop(struct heap *h)
{
	uint64_t key = h->keys[--h->len];
	Py_ssize_t i = 0, n = h->len;

	for (;;) {
		Py_ssize_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h->keys[c + 1] < h->keys[c])
			c++;
		if (key <= h->keys[c])
			break;
		h->keys[i] = h->keys[c];
		i = c;
	}
	if (n)
		h->keys[i] = key;
}

/* The top's place once claims that end at or before p are dropped */
static uint32_t heap_top(struct heap *h, const struct claim *claims, uint64_t p)
{
	while (h->len && claims[(uint32_t)h->keys[0]].end <= p)
		heap_pop(h);
	return h->len ? (uint32_t)h->keys[0] : NONE;
}

/*
 * One cluster of claims that overlap, directly or through others (places
 * sorted by start): at each change point, the best claim of each kind,
 * kept on a heap per kind.  heaps and points hold 2 * count entries.
 */
static int sweep_cluster(const struct claim *claims, const struct order *places,
			 Py_ssize_t count, uint64_t *space, emit_fn emit, void *ctx)
{
	struct heap owners = { space, 0 }, files = { space + count, 0 },
		    symbols = { space + 2 * count, 0 }, classes = { space + 3 * count, 0 };
	uint64_t *points = space + 4 * count;
	Py_ssize_t npoints = 0, n, i = 0;

	for (n = 0; n < count; n++) {
		points[npoints++] = claims[places[n].k].start;
		points[npoints++] = claims[places[n].k].end;
	}
	qsort(points, (size_t)npoints, sizeof(*points), by_value);
	for (n = 1, i = 1; n < npoints; n++)
		if (points[n] != points[i - 1])
			points[i++] = points[n];
	npoints = i;
	i = 0;
	for (n = 0; n + 1 < npoints; n++) {
		uint64_t p = points[n];

		while (i < count && claims[places[i].k].start <= p) {
			uint32_t k = places[i].k;
			const struct claim *c = &claims[k];
			uint64_t key = (uint64_t)c->rank << 32 | k;

			if (c->flags & F_OWNER)
				heap_push(&owners, key);
			if (c->flags & F_FILE)
				heap_push(&files, key);
			if (c->flags & F_SYMBOL)
				heap_push(&symbols, key);
			if (c->flags & F_CLS)
				heap_push(&classes, (uint64_t)!(c->flags & F_MAP) << 32 | k);
			i++;
		}
		if (emit(ctx, p, points[n + 1], heap_top(&owners, claims, p),
			 heap_top(&files, claims, p), heap_top(&symbols, claims, p),
			 heap_top(&classes, claims, p)) < 0)
			return -1;
	}
	return 0;
}

/*
 * The sweep over one section's claims (attribute._sweep): runs between
 * consecutive claim boundaries, each with the best-ranked claim naming an
 * owner, a file and a symbol (the earlier of one rank), and the claim
 * deciding its class (the map's input sections first, then the earliest).
 * Most clusters are one function or object several sources claim with
 * the same extent: their best claims are picked in one pass.
 */
static int sweep(const struct claim *claims, Py_ssize_t count, uint64_t size,
		 emit_fn emit, void *ctx)
{
	struct order *order;
	uint64_t *space = NULL, at = 0;
	Py_ssize_t i = 0, k;
	int ret = -1;

	order = PyMem_Malloc((size_t)(count ? count : 1) * sizeof(*order));
	space = PyMem_Malloc((size_t)(count ? count : 1) * 6 * sizeof(*space));
	if (!order || !space) {
		PyErr_NoMemory();
		goto done;
	}
	for (k = 0; k < count; k++) {
		order[k].start = claims[k].start;
		order[k].k = (uint32_t)k;
	}
	if (sort_order(order, count) < 0)
		goto done;
	while (i < count) {
		const struct claim *c = &claims[order[i].k];
		uint64_t start = c->start, end = c->end, last = end;
		uint32_t owner_rank, file_rank, symbol_rank, first = order[i].k;
		uint32_t owner, file, symbol, cls;
		int by_map, same = 1;
		Py_ssize_t j;

		if (start > at && emit(ctx, at, start, NONE, NONE, NONE, NONE) < 0)
			goto done;
		owner_rank = file_rank = symbol_rank = c->rank;
		owner = c->flags & F_OWNER ? first : NONE;
		file = c->flags & F_FILE ? first : NONE;
		symbol = c->flags & F_SYMBOL ? first : NONE;
		cls = c->flags & F_CLS ? first : NONE;
		by_map = !!(c->flags & F_MAP);
		for (j = i + 1; j < count; j++) {
			uint32_t k2 = order[j].k;
			const struct claim *o = &claims[k2];

			if (o->start >= last)
				break;
			if (o->start != start || o->end != end) {
				same = 0;
				if (o->end > last)
					last = o->end;
			} else if (same) {
				if ((o->flags & F_OWNER) && (owner == NONE || o->rank < owner_rank)) {
					owner = k2;
					owner_rank = o->rank;
				}
				if ((o->flags & F_FILE) && (file == NONE || o->rank < file_rank)) {
					file = k2;
					file_rank = o->rank;
				}
				if ((o->flags & F_SYMBOL) &&
				    (symbol == NONE || o->rank < symbol_rank)) {
					symbol = k2;
					symbol_rank = o->rank;
				}
				if ((o->flags & F_CLS) &&
				    (cls == NONE || (!by_map && (o->flags & F_MAP)))) {
					cls = k2;
					by_map = !!(o->flags & F_MAP);
				}
			}
		}
		if (!same) {
			if (sweep_cluster(claims, order + i, j - i, space, emit, ctx) < 0)
				goto done;
			at = last;
			i = j;
			continue;
		}
		if (emit(ctx, start, end, owner, file, symbol, cls) < 0)
			goto done;
		at = end;
		i = j;
	}
	if (at < size && emit(ctx, at, size, NONE, NONE, NONE, NONE) < 0)
		goto done;
	ret = 0;
done:
	PyMem_Free(order);
	PyMem_Free(space);
	return ret;
}

static PyObject *place(uint32_t k)
{
	if (k == NONE)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLong(k);
}

static int emit_tuple(void *ctx, uint64_t start, uint64_t end, uint32_t owner,
		      uint32_t file, uint32_t symbol, uint32_t cls)
{
	PyObject *run = Py_BuildValue("(KKNNNN)", (unsigned long long)start,
				      (unsigned long long)end, place(owner), place(file),
				      place(symbol), place(cls));
	int ret;

	if (!run)
		return -1;
	ret = PyList_Append(ctx, run);
	Py_DECREF(run);
	return ret;
}

/*
 * sweep(size, starts, ends, payloads, map_source)
 *
 * The runs of one section's claims: a list of (start, end, owner, file,
 * symbol, cls), the last four places in the columns or None.
 */
static PyObject *py_sweep(PyObject *self, PyObject *args)
{
	unsigned long long size;
	PyObject *starts, *ends, *payloads, *map_source, *out;
	struct claim *claims;
	Py_ssize_t count = 0;
	(void)self;

	if (!PyArg_ParseTuple(args, "KOOOO", &size, &starts, &ends, &payloads, &map_source))
		return NULL;
	claims = read_claims(starts, ends, payloads, map_source, &count);
	if (!claims)
		return NULL;
	out = PyList_New(0);
	if (out && sweep(claims, count, size, emit_tuple, out) < 0)
		Py_CLEAR(out);
	PyMem_Free(claims);
	return out;
}

/*
 * What the pieces of one section are made of.  A run no claim owns goes,
 * in this order: to [linker-generated] in a linker-made section; to the
 * catch-all when a claim names its file or symbol; to [merged strings] in
 * a merged section; through attribute._strings() when it is read-only
 * text nothing names; else to [padding] when it is fill (is_padding) or
 * [unattributed].
 */
enum { MODE_PLAIN, MODE_LINKER, MODE_MERGED };

struct cut {
	PyObject *payloads, *out, *section, *kind, *catch_all, *strings, *piece, *map_source;
	PyObject *linker, *merged, *unattributed, *padding;
	allocfunc alloc;
	int mode, text, nobits;
	/* fill: a run shorter than the alignment of where it ends */
	uint64_t base, cap, offset;
	const unsigned char *data;
	Py_ssize_t len;
	unsigned char fill[256];
	/* the run being grown: its key (cls, component, bucket, source, file,
	 * symbol) and extent */
	PyObject *key[6];
	int open;
	uint64_t start, end;
	uint64_t by_map, by_symbols, by_flags;
};

/* The run being grown as a Piece (allocated as tuple.__new__ would) */
static int flush(struct cut *c)
{
	PyObject *piece, *v;
	int i, ret;

	if (!c->open)
		return 0;
	piece = c->alloc((PyTypeObject *)c->piece, 9);
	if (!piece)
		return -1;
	Py_INCREF(c->section);
	PyTuple_SetItem(piece, 0, c->section);
	PyTuple_SetItem(piece, 1, c->key[0]);
	v = PyLong_FromUnsignedLongLong(c->start);
	if (!v)
		goto fail;
	PyTuple_SetItem(piece, 2, v);
	v = PyLong_FromUnsignedLongLong(c->end - c->start);
	if (!v)
		goto fail;
	PyTuple_SetItem(piece, 3, v);
	for (i = 1; i < 6; i++)
		PyTuple_SetItem(piece, 3 + i, c->key[i]);
	/* the key's references went to the piece */
	memset(c->key, 0, sizeof(c->key));
	c->open = 0;
	ret = PyList_Append(c->out, piece);
	Py_DECREF(piece);
	return ret;
fail:
	for (i = 1; i < 6; i++)
		Py_CLEAR(c->key[i]);
	c->key[0] = NULL;   /* the piece holds it */
	c->open = 0;
	Py_DECREF(piece);
	return -1;
}

/* Grow the current run by [start, end) of key, or start a new one */
static int run(struct cut *c, uint64_t start, uint64_t end, PyObject *cls, PyObject *comp,
	       PyObject *bucket, PyObject *source, PyObject *file, PyObject *symbol)
{
	PyObject *key[6] = { cls, comp, bucket, source, file, symbol };
	int i;

	if (c->open && c->end == start) {
		for (i = 0; i < 6; i++) {
			int eq = key[i] == c->key[i] ? 1 :
				 PyObject_RichCompareBool(key[i], c->key[i], Py_EQ);

			if (eq < 0)
				return -1;
			if (!eq)
				break;
		}
		if (i == 6) {
			c->end = end;
			return 0;
		}
	}
	if (flush(c) < 0)
		return -1;
	for (i = 0; i < 6; i++) {
		Py_INCREF(key[i]);
		c->key[i] = key[i];
	}
	c->open = 1;
	c->start = start;
	c->end = end;
	return 0;
}

/* attribute._is_padding(): fill bytes in a run shorter than the alignment
 * of the address it ends at (capped) */
static int is_padding(const struct cut *c, uint64_t start, uint64_t end)
{
	unsigned __int128 at = (unsigned __int128)c->base + end, align, limit;
	uint64_t lo, hi;

	align = at ? at & (~at + 1) : (unsigned __int128)1 << 62;
	limit = align < c->cap ? align : c->cap;
	if (end - start >= limit)
		return 0;
	if (c->nobits)
		return 1;
	/* the bytes the file holds, as a slice of them would */
	lo = hi = (uint64_t)c->len;
	if (c->offset < (uint64_t)c->len) {
		uint64_t room = (uint64_t)c->len - c->offset;

		lo = c->offset + (start < room ? start : room);
		hi = c->offset + (end < room ? end : room);
	}
	for (; lo < hi; lo++)
		if (!c->fill[c->data[lo]])
			return 0;
	return 1;
}

static PyObject *item(PyObject *payloads, uint32_t k, Py_ssize_t field)
{
	return PyTuple_GetItem(PyList_GetItem(payloads, k), field);
}

static int emit_piece(void *ctx, uint64_t start, uint64_t end, uint32_t owner,
		      uint32_t file, uint32_t symbol, uint32_t cls)
{
	struct cut *c = ctx;
	PyObject *kind, *name = Py_None, *symbol_name = Py_None, *runs, *source;
	Py_ssize_t n, count;
	int named = file != NONE || symbol != NONE;

	if (file != NONE)
		name = item(c->payloads, file, P_FILE);
	if (symbol != NONE)
		symbol_name = item(c->payloads, symbol, P_SYMBOL);
	if (cls == NONE) {
		kind = c->kind;
		c->by_flags += end - start;
	} else {
		PyObject *p = PyList_GetItem(c->payloads, cls);
		int map;

		kind = PyTuple_GetItem(p, P_CLS);
		map = PyObject_RichCompareBool(PyTuple_GetItem(p, P_SOURCE), c->map_source, Py_EQ);
		if (map < 0)
			return -1;
		if (map)
			c->by_map += end - start;
		else
			c->by_symbols += end - start;
	}
	if (!name || !symbol_name || !kind)
		return -1;
	if (owner != NONE) {
		PyObject *p = PyList_GetItem(c->payloads, owner);

		return run(c, start, end, kind, PyTuple_GetItem(p, P_COMPONENT),
			   PyTuple_GetItem(p, P_BUCKET), PyTuple_GetItem(p, P_SOURCE), name,
			   symbol_name);
	}
	if (c->mode == MODE_LINKER)
		return run(c, start, end, kind, Py_None, c->linker, Py_None, name, symbol_name);
	if (named && c->catch_all != Py_None) {
		source = item(c->payloads, file != NONE ? file : symbol, P_SOURCE);
		if (!source)
			return -1;
		return run(c, start, end, kind, c->catch_all, Py_None, source, name,
			   symbol_name);
	}
	if (c->mode == MODE_MERGED)
		return run(c, start, end, kind, Py_None, c->merged, Py_None, name, symbol_name);
	if (!c->text || named) {
		PyObject *bucket = !named && is_padding(c, start, end) ? c->padding :
				   c->unattributed;

		return run(c, start, end, kind, Py_None, bucket, Py_None, name, symbol_name);
	}
	/* read-only bytes nothing names: strings, cut at NULs */
	runs = PyObject_CallFunction(c->strings, "KK", (unsigned long long)start,
				     (unsigned long long)end);
	if (!runs)
		return -1;
	count = PyList_Check(runs) ? PyList_Size(runs) : -1;
	if (count < 0) {
		PyErr_SetString(PyExc_TypeError, "_strings() returns a list");
		goto fail;
	}
	for (n = 0; n < count; n++) {
		PyObject *r = PyList_GetItem(runs, n), *comp, *bucket, *path;
		unsigned long long lo, hi;

		if (!PyList_Check(r) || PyList_Size(r) != 6) {
			PyErr_SetString(PyExc_TypeError, "a string run is a 6-list");
			goto fail;
		}
		lo = PyLong_AsUnsignedLongLong(PyList_GetItem(r, 0));
		hi = PyLong_AsUnsignedLongLong(PyList_GetItem(r, 1));
		if (PyErr_Occurred())
			goto fail;
		comp = PyList_GetItem(r, 2);
		bucket = PyList_GetItem(r, 3);
		source = PyList_GetItem(r, 4);
		path = PyList_GetItem(r, 5);
		if (comp == Py_None && bucket == Py_None)
			bucket = is_padding(c, lo, hi) ? c->padding : c->unattributed;
		if (run(c, lo, hi, kind, comp, bucket, source,
			PyObject_IsTrue(path) ? path : name, symbol_name) < 0)
			goto fail;
	}
	Py_DECREF(runs);
	return 0;
fail:
	Py_DECREF(runs);
	return -1;
}

/*
 * pieces(starts, ends, payloads, out, section, spec)
 *
 * spec  (size, cls, mode, text, catch_all, strings, base, cap, nobits,
 *        data, offset, fill, Piece, map_source, buckets)
 *       text: ownerless runs go through strings(start, end); base, cap:
 *       where the section's offsets are and the alignment cap of fill;
 *       data, offset: the file and the section's bytes in it; fill: the
 *       256 flags of fill bytes; buckets: (linker, merged, unattributed,
 *       padding)
 *
 * Appends the section's Pieces to out, neighbours with the same owner,
 * class, file and symbol merged; returns (map, symbols, flags): the bytes
 * whose class each decided.
 */
static PyObject *py_pieces(PyObject *self, PyObject *args)
{
	struct cut c;
	PyObject *starts, *ends, *spec, *ret = NULL;
	unsigned long long size, base, cap, offset;
	Py_buffer data, fill;
	struct claim *claims = NULL;
	Py_ssize_t count = 0;
	int i;
	(void)self;

	memset(&c, 0, sizeof(c));
	if (!PyArg_ParseTuple(args, "OOO!O!OO!", &starts, &ends, &PyList_Type, &c.payloads,
			      &PyList_Type, &c.out, &c.section, &PyTuple_Type, &spec))
		return NULL;
	if (!PyArg_ParseTuple(spec, "KOiiOOKKpy*Ky*OO(OOOO)", &size, &c.kind, &c.mode, &c.text,
			      &c.catch_all, &c.strings, &base, &cap, &c.nobits, &data, &offset,
			      &fill, &c.piece, &c.map_source, &c.linker, &c.merged,
			      &c.unattributed, &c.padding))
		return NULL;
	if (!PyType_Check(c.piece) || !PyType_IsSubtype((PyTypeObject *)c.piece, &PyTuple_Type)) {
		PyErr_SetString(PyExc_TypeError, "Piece is a tuple type");
		goto done;
	}
	c.alloc = (allocfunc)PyType_GetSlot((PyTypeObject *)c.piece, Py_tp_alloc);
	c.base = base;
	c.cap = cap;
	c.offset = offset;
	c.data = data.buf;
	c.len = data.len;
	for (i = 0; i < 256; i++)
		c.fill[i] = i < fill.len && ((const unsigned char *)fill.buf)[i];
	claims = read_claims(starts, ends, c.payloads, c.map_source, &count);
	if (claims && sweep(claims, count, size, emit_piece, &c) == 0 && flush(&c) == 0)
		ret = Py_BuildValue("(KKK)", (unsigned long long)c.by_map,
				    (unsigned long long)c.by_symbols,
				    (unsigned long long)c.by_flags);
done:
	for (i = 0; i < 6; i++)
		Py_XDECREF(c.key[i]);
	PyMem_Free(claims);
	PyBuffer_Release(&data);
	PyBuffer_Release(&fill);
	return ret;
}

/* A Python int of an unsigned 128-bit sum */
static PyObject *long128(unsigned __int128 v)
{
	PyObject *hi = PyLong_FromUnsignedLongLong((uint64_t)(v >> 64));
	PyObject *lo = PyLong_FromUnsignedLongLong((uint64_t)v);
	PyObject *n64 = PyLong_FromLong(64), *shifted = NULL, *out = NULL;

	if (hi && lo && n64 && (shifted = PyNumber_Lshift(hi, n64)))
		out = PyNumber_Or(shifted, lo);
	Py_XDECREF(hi);
	Py_XDECREF(lo);
	Py_XDECREF(n64);
	Py_XDECREF(shifted);
	return out;
}

/*
 * check(sections, pieces, classes)
 *
 * sections  (name, size, bss) of each allocated section, in table order
 * pieces    list of Pieces in the same order
 *
 * The pieces must tile every section, each with exactly one owner and a
 * class of classes (bss exactly in bss sections).  Returns (None, total)
 * with the pieces' total size, or where it broke: ((what, section, at,
 * place), None), what one of "tile", "owner", "cover" (at: the bytes
 * covered), "outside".
 */
static PyObject *py_check(PyObject *self, PyObject *args)
{
	PyObject *sections, *pieces, *classes, *bss_name, *zero, *ret = NULL;
	Py_ssize_t nsec, count, pos = 0, s;
	unsigned __int128 total = 0;
	(void)self;

	if (!PyArg_ParseTuple(args, "O!O!O", &PyList_Type, &sections, &PyList_Type, &pieces,
			      &classes))
		return NULL;
	bss_name = PyUnicode_FromString("bss");
	zero = PyLong_FromLong(0);
	if (!bss_name || !zero)
		goto fail;
	nsec = PyList_Size(sections);
	count = PyList_Size(pieces);
	for (s = 0; s < nsec; s++) {
		PyObject *name;
		unsigned long long size, at = 0;
		int bss;

		if (!PyArg_ParseTuple(PyList_GetItem(sections, s), "OKp", &name, &size, &bss))
			goto fail;
		while (at < size && pos < count) {
			PyObject *p = PyList_GetItem(pieces, pos), *f[6];
			unsigned long long offset, length;
			int i, bad, known, is_bss, huge = 0;

			if (!PyTuple_Check(p) || PyTuple_Size(p) < 6) {
				PyErr_SetString(PyExc_TypeError, "a piece is a model.Piece");
				goto fail;
			}
			for (i = 0; i < 6; i++)
				f[i] = PyTuple_GetItem(p, i);
			bad = PyObject_RichCompareBool(f[0], name, Py_NE);
			offset = PyLong_AsUnsignedLongLong(f[2]);
			if (offset == (unsigned long long)-1 && PyErr_Occurred()) {
				PyErr_Clear();
				bad = 1;    /* negative or beyond any offset: not at */
			}
			length = PyLong_AsUnsignedLongLong(f[3]);
			if (length == (unsigned long long)-1 && PyErr_Occurred()) {
				int positive;

				PyErr_Clear();
				positive = PyObject_RichCompareBool(f[3], zero, Py_GT);
				if (positive < 0)
					goto fail;
				huge = positive;   /* beyond 64 bits: past the end */
				length = 0;
			}
			known = PySequence_Contains(classes, f[1]);
			is_bss = PyObject_RichCompareBool(f[1], bss_name, Py_EQ);
			if (bad < 0 || known < 0 || is_bss < 0)
				goto fail;
			if (bad || offset != at || (length == 0 && !huge) || !known || is_bss != bss) {
				ret = Py_BuildValue("((snKn)O)", "tile", s, at, pos, Py_None);
				goto done;
			}
			if ((f[4] == Py_None) == (f[5] == Py_None)) {
				ret = Py_BuildValue("((snKn)O)", "owner", s, at, pos, Py_None);
				goto done;
			}
			if (huge || length > size - at) {
				/* covers more than the section: what Python's sum says */
				PyObject *a = PyLong_FromUnsignedLongLong(at);

				if (!a)
					goto fail;
				ret = Py_BuildValue("((snNn)O)", "cover", s, PyNumber_Add(a, f[3]),
						    pos + 1, Py_None);
				Py_DECREF(a);
				goto done;
			}
			at += length;
			total += length;
			pos++;
		}
		if (at != size) {
			ret = Py_BuildValue("((snKn)O)", "cover", s, at, pos, Py_None);
			goto done;
		}
	}
	if (pos != count)
		ret = Py_BuildValue("((sOKn)O)", "outside", Py_None, 0ULL, pos, Py_None);
	else
		ret = Py_BuildValue("(ON)", Py_None, long128(total));
	goto done;
fail:
	ret = NULL;
done:
	Py_XDECREF(bss_name);
	Py_XDECREF(zero);
	return ret;
}

static PyMethodDef methods[] = {
	{"sweep", py_sweep, METH_VARARGS, "The runs of one section's claims."},
	{"pieces", py_pieces, METH_VARARGS, "Cut one section's claims into Pieces."},
	{"check", py_check, METH_VARARGS, "Where pieces fail to tile the sections, or None."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_attribute", "Attribution's per-claim loops.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__attribute(void)
{
	return PyModule_Create(&module);
}
