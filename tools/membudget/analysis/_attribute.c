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

/* Sort keys: (start or address, then a tie-breaker that ends in a place) */
struct order {
	uint64_t start, k;
};

/* One run of the sweep: the winning claims' places, or NONE */
typedef int (*emit_fn)(void *ctx, uint64_t start, uint64_t end, uint32_t owner,
		       uint32_t file, uint32_t symbol, uint32_t cls);

static int before(const struct order *x, const struct order *y)
{
	return x->start < y->start || (x->start == y->start && x->k < y->k);
}

/*
 * Sort by (start, k): each source adds its claims (and a symbol table its
 * symbols, file by file) mostly in address order, so the keys are a few
 * long ascending runs, merged pairwise.
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
		points[npoints++] = claims[(uint32_t)places[n].k].start;
		points[npoints++] = claims[(uint32_t)places[n].k].end;
	}
	qsort(points, (size_t)npoints, sizeof(*points), by_value);
	for (n = 1, i = 1; n < npoints; n++)
		if (points[n] != points[i - 1])
			points[i++] = points[n];
	npoints = i;
	i = 0;
	for (n = 0; n + 1 < npoints; n++) {
		uint64_t p = points[n];

		while (i < count && claims[(uint32_t)places[i].k].start <= p) {
			uint32_t k = (uint32_t)places[i].k;
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
		order[k].k = (uint64_t)k;
	}
	if (sort_order(order, count) < 0)
		goto done;
	while (i < count) {
		const struct claim *c = &claims[(uint32_t)order[i].k];
		uint64_t start = c->start, end = c->end, last = end;
		uint32_t owner_rank, file_rank, symbol_rank, first = (uint32_t)order[i].k;
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
			uint32_t k2 = (uint32_t)order[j].k;
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
	const struct claim *claims;
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
		kind = item(c->payloads, cls, P_CLS);
		if (c->claims[cls].flags & F_MAP)
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
	c.claims = claims;
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
	PyObject *last_cls = NULL;      /* a class and what it is, kept */
	int last_known = 0, last_bss = 0;
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
			if (f[1] != last_cls) {
				last_known = PySequence_Contains(classes, f[1]);
				last_bss = PyObject_RichCompareBool(f[1], bss_name, Py_EQ);
				last_cls = f[1];
				if (last_known < 0 || last_bss < 0)
					last_cls = NULL;
			}
			known = last_known;
			is_bss = last_bss;
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

/*
 * The claims' columns, for the sources whose loops are here: each
 * section's starts, ends and payloads (attribute._Claims.lists), with
 * the claims a call makes kept in C and appended to them in one go as it
 * returns.  A capsule holds the columns between calls.
 */
enum { RANK_BOUNDARY = 0, RANK_FILE = 2, RANK_SECTIONS = 4, RANK_SYMBOLS = 5, RANK_LABEL = 6 };

struct column {
	long index;
	uint64_t addr, size;
	int linker;
	PyObject *starts, *ends, *payloads, *object;
	uint64_t *pending;      /* start, end pairs */
	Py_ssize_t len, cap;
};

struct columns {
	struct column *cols;
	Py_ssize_t count;
	int relocatable;
	uint64_t tls_base;
	/* the sections by address, for ranges(): starts, their columns; simple:
	 * no two share addresses */
	uint64_t *starts;
	Py_ssize_t *order, nstarts;
	int simple;
};

#define CAPSULE "membudget.analysis._attribute.columns"

static void columns_free(PyObject *capsule)
{
	struct columns *c = PyCapsule_GetPointer(capsule, CAPSULE);
	Py_ssize_t i;

	if (!c)
		return;
	for (i = 0; i < c->count; i++) {
		Py_XDECREF(c->cols[i].starts);
		Py_XDECREF(c->cols[i].ends);
		Py_XDECREF(c->cols[i].payloads);
		Py_XDECREF(c->cols[i].object);
		PyMem_Free(c->cols[i].pending);
	}
	PyMem_Free(c->cols);
	PyMem_Free(c->starts);
	PyMem_Free(c->order);
	PyMem_Free(c);
}

/* The column of section index, or NULL (sections sorted by index) */
static struct column *column_of(struct columns *c, long index)
{
	Py_ssize_t lo = 0, hi = c->count;

	while (lo < hi) {
		Py_ssize_t mid = (lo + hi) / 2;

		if (c->cols[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->count && c->cols[lo].index == index ? &c->cols[lo] : NULL;
}

/*
 * _Claims.add(): claim [start, end) of a column, clipped to the section;
 * a linker-made section takes only boundary and section-glob claims.
 * payload is as stored (its class already fits the section).
 */
static int claim(struct column *col, __int128 start, __int128 end, PyObject *payload, int rank)
{
	if (col->linker && rank != RANK_BOUNDARY && rank != RANK_SECTIONS)
		return 0;
	if (start < 0)
		start = 0;
	if (end > (__int128)col->size)
		end = col->size;
	if (start >= end)
		return 0;
	if (col->len == col->cap) {
		Py_ssize_t cap = col->cap ? 2 * col->cap : 256;
		uint64_t *more = PyMem_Realloc(col->pending, (size_t)cap * 2 * sizeof(uint64_t));

		if (!more) {
			PyErr_NoMemory();
			return -1;
		}
		col->pending = more;
		col->cap = cap;
	}
	col->pending[2 * col->len] = (uint64_t)start;
	col->pending[2 * col->len + 1] = (uint64_t)end;
	col->len++;
	return PyList_Append(col->payloads, payload);
}

/* Append one column's pending claims to its arrays */
static int flush_column(struct column *col)
{
	PyObject *bytes, *r;
	uint64_t *half;
	Py_ssize_t i;
	int k;

	if (!col->len)
		return 0;
	half = PyMem_Malloc((size_t)col->len * sizeof(*half));
	if (!half) {
		PyErr_NoMemory();
		return -1;
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < col->len; i++)
			half[i] = col->pending[2 * i + k];
		bytes = PyBytes_FromStringAndSize((const char *)half,
						  col->len * (Py_ssize_t)sizeof(*half));
		r = bytes ? PyObject_CallMethod(k ? col->ends : col->starts, "frombytes", "O",
						bytes) : NULL;
		Py_XDECREF(bytes);
		if (!r) {
			PyMem_Free(half);
			return -1;
		}
		Py_DECREF(r);
	}
	PyMem_Free(half);
	col->len = 0;
	return 0;
}

/* Every call that claims ends with its claims in the arrays, so Python's
 * own claims (_Claims.add()) keep their order among them */
static int flush_all(struct columns *c)
{
	Py_ssize_t i;

	for (i = 0; i < c->count; i++)
		if (flush_column(&c->cols[i]) < 0)
			return -1;
	return 0;
}

static struct columns *get_columns(PyObject *capsule)
{
	return PyCapsule_GetPointer(capsule, CAPSULE);
}

/*
 * columns(sections, relocatable, tls_base, starts, order)
 *
 * sections  (index, addr, size, linker, starts, ends, payloads, object)
 *           per section with claims, by index; object: the payload of a
 *           data object's class in that (code) section, or None
 * starts, order  the sections' addresses, sorted, and their indexes
 *           (_Claims.starts, .order); order None: sections share addresses
 */
static PyObject *py_columns(PyObject *self, PyObject *args)
{
	PyObject *sections, *starts, *order, *capsule;
	struct columns *c;
	unsigned long long tls_base;
	int relocatable;
	Py_ssize_t i;
	(void)self;

	if (!PyArg_ParseTuple(args, "O!pKO!O", &PyList_Type, &sections, &relocatable,
			      &tls_base, &PyList_Type, &starts, &order))
		return NULL;
	c = PyMem_Calloc(1, sizeof(*c));
	if (!c)
		return PyErr_NoMemory();
	capsule = PyCapsule_New(c, CAPSULE, columns_free);
	if (!capsule) {
		PyMem_Free(c);
		return NULL;
	}
	c->relocatable = relocatable;
	c->tls_base = tls_base;
	c->cols = PyMem_Calloc((size_t)PyList_Size(sections) + 1, sizeof(*c->cols));
	if (!c->cols)
		goto nomem;
	for (i = 0; i < PyList_Size(sections); i++) {
		struct column *col = &c->cols[i];
		unsigned long long addr, size;

		if (!PyArg_ParseTuple(PyList_GetItem(sections, i), "lKKpOOO!O", &col->index,
				      &addr, &size, &col->linker, &col->starts, &col->ends,
				      &PyList_Type, &col->payloads, &col->object))
			goto fail;
		col->addr = addr;
		col->size = size;
		Py_INCREF(col->starts);
		Py_INCREF(col->ends);
		Py_INCREF(col->payloads);
		Py_INCREF(col->object);
		c->count++;
		if (i && col->index <= c->cols[i - 1].index) {
			PyErr_SetString(PyExc_ValueError, "columns out of order");
			goto fail;
		}
	}
	c->simple = order != Py_None;
	if (c->simple) {
		if (!PyList_Check(order) || PyList_Size(order) != PyList_Size(starts)) {
			PyErr_SetString(PyExc_ValueError, "starts and order differ");
			goto fail;
		}
		c->nstarts = PyList_Size(starts);
		c->starts = PyMem_Calloc((size_t)c->nstarts + 1, sizeof(*c->starts));
		c->order = PyMem_Calloc((size_t)c->nstarts + 1, sizeof(*c->order));
		if (!c->starts || !c->order)
			goto nomem;
		for (i = 0; i < c->nstarts; i++) {
			long index = PyLong_AsLong(PyList_GetItem(order, i));
			struct column *col;

			c->starts[i] = PyLong_AsUnsignedLongLong(PyList_GetItem(starts, i));
			if (PyErr_Occurred())
				goto fail;
			col = column_of(c, index);
			if (!col) {
				PyErr_SetString(PyExc_ValueError, "a section without a column");
				goto fail;
			}
			c->order[i] = col - c->cols;
		}
	}
	return capsule;
nomem:
	PyErr_NoMemory();
fail:
	Py_DECREF(capsule);
	return NULL;
}

/*
 * An integer as a signed 128-bit one: addresses are 64-bit, but sums
 * such as lo + size or a pc-relative pointer can pass 2^64 and still
 * have to compare as Python's integers do.
 */
static int wide(PyObject *v, __int128 *out)
{
	unsigned long long u = PyLong_AsUnsignedLongLong(v);
	PyObject *shift = NULL, *high = NULL, *mask = NULL, *low = NULL;
	long long h;
	int ret = -1;

	if (!PyErr_Occurred()) {
		*out = u;
		return 0;
	}
	if (!PyErr_ExceptionMatches(PyExc_OverflowError))
		return -1;
	PyErr_Clear();
	/* high 64 bits signed, low 64 bits unsigned */
	shift = PyLong_FromLong(64);
	mask = PyLong_FromUnsignedLongLong(~0ULL);
	high = shift ? PyNumber_Rshift(v, shift) : NULL;
	low = mask ? PyNumber_And(v, mask) : NULL;
	if (high && low) {
		h = PyLong_AsLongLong(high);
		u = PyLong_AsUnsignedLongLong(low);
		if (!PyErr_Occurred()) {
			*out = (__int128)((unsigned __int128)h << 64 | u);
			ret = 0;
		}
	}
	Py_XDECREF(shift);
	Py_XDECREF(mask);
	Py_XDECREF(high);
	Py_XDECREF(low);
	return ret;
}

/* The n-th item of a sequence as a wide integer */
static int wide_item(PyObject *seq, Py_ssize_t n, __int128 *out)
{
	PyObject *v;
	int ret;

	if (PyTuple_Check(seq))
		return wide(PyTuple_GetItem(seq, n), out);
	v = PySequence_GetItem(seq, n);
	if (!v)
		return -1;
	ret = wide(v, out);
	Py_DECREF(v);
	return ret;
}

/*
 * _Claims.add_addr()'s common case: the address range [lo, hi) in the
 * section holding lo, if it also holds hi and no section shares its
 * addresses.  Returns 1 if claimed, 0 if _Claims.sections_of() must say.
 */
static int claim_range(struct columns *c, __int128 lo, __int128 hi, PyObject *payload,
		       int rank)
{
	Py_ssize_t a = 0, b = c->nstarts, at;
	struct column *col;

	if (!c->simple || !c->nstarts)
		return 0;
	/* the last section starting at or before lo, else the first */
	while (a < b) {
		Py_ssize_t mid = (a + b) / 2;

		if ((__int128)c->starts[mid] <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	at = a ? a - 1 : 0;
	col = &c->cols[c->order[at]];
	if ((__int128)col->addr + col->size > lo &&
	    (at == c->nstarts - 1 || (__int128)c->starts[at + 1] >= hi))
		return claim(col, lo - col->addr, hi - col->addr, payload, rank) < 0 ? -1 : 1;
	return 0;
}

/* A range claim_range() leaves to slow(lo, hi, payload), after the claims
 * made here so far, so the columns keep the order of the calls */
static int claim_slow(struct columns *c, PyObject *slow, PyObject *lo, PyObject *hi,
		      PyObject *payload)
{
	PyObject *r;

	if (flush_all(c) < 0)
		return -1;
	r = PyObject_CallFunctionObjArgs(slow, lo, hi, payload, NULL);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

/* The sizes of data objects by address, the first symbol's (_dwarf()) */
static PyObject *object_sizes(PyObject *symbols)
{
	PyObject *sizes = PyDict_New(), *object = PyUnicode_FromString("object");
	Py_ssize_t i;

	if (!sizes || !object)
		goto fail;
	for (i = 0; i < PyList_Size(symbols); i++) {
		PyObject *s = PyList_GetItem(symbols, i), *size;
		int t;

		if (!PyTuple_Check(s) || PyTuple_Size(s) < 7) {
			PyErr_SetString(PyExc_TypeError, "a symbol is a model.Symbol");
			goto fail;
		}
		t = PyObject_RichCompareBool(PyTuple_GetItem(s, 4), object, Py_EQ);
		size = PyTuple_GetItem(s, 2);
		if (t > 0)
			t = PyObject_IsTrue(size);
		if (t > 0) {
			PyObject *addr = PyTuple_GetItem(s, 1);

			t = PyDict_Contains(sizes, addr);
			if (t == 0)
				t = PyDict_SetItem(sizes, addr, size);
		}
		if (t < 0)
			goto fail;
	}
	Py_DECREF(object);
	return sizes;
fail:
	Py_XDECREF(sizes);
	Py_XDECREF(object);
	return NULL;
}

/*
 * units(columns, units, symbols, slow)
 *
 * Source 1 (attribute._dwarf()): for each (ranges, variables, payload) of
 * a unit, its code ranges (lo, hi) and its variables (addr, size or None:
 * then the size of the first data object symbol at addr), each claimed as
 * _Claims.add_addr() would; what claim_range() cannot place goes to
 * slow(lo, hi, payload), which is add_addr().
 */
static PyObject *py_units(PyObject *self, PyObject *args)
{
	PyObject *capsule, *units, *symbols, *slow, *sizes = NULL, *ret = NULL;
	struct columns *c;
	Py_ssize_t u, i;
	(void)self;

	if (!PyArg_ParseTuple(args, "OO!O!O", &capsule, &PyList_Type, &units, &PyList_Type,
			      &symbols, &slow))
		return NULL;
	c = get_columns(capsule);
	if (!c)
		return NULL;
	for (u = 0; u < PyList_Size(units); u++) {
		PyObject *ranges, *variables, *payload, *seq;
		long rank;
		int pass;

		if (!PyArg_ParseTuple(PyList_GetItem(units, u), "OOO!", &ranges, &variables,
				      &PyTuple_Type, &payload))
			goto done;
		if (PyTuple_Size(payload) < P_FIELDS) {
			PyErr_SetString(PyExc_TypeError, "a payload is a 7-tuple");
			goto done;
		}
		rank = PyLong_AsLong(PyTuple_GetItem(payload, P_RANK));
		if (rank == -1 && PyErr_Occurred())
			goto done;
		for (pass = 0; pass < 2; pass++) {
			seq = PySequence_Fast(pass ? variables : ranges, "ranges are a sequence");
			if (!seq)
				goto done;
			for (i = 0; i < PySequence_Size(seq); i++) {
				PyObject *r = PySequence_GetItem(seq, i), *lo = NULL, *hi = NULL;
				PyObject *size = NULL;
				__int128 wlo, whi;
				int t = -1;

				if (!r || PySequence_Size(r) != 2) {
					if (r && !PyErr_Occurred())
						PyErr_SetString(PyExc_ValueError, "a range is a pair");
					goto next;
				}
				lo = PySequence_GetItem(r, 0);
				hi = PySequence_GetItem(r, 1);
				if (!lo || !hi)
					goto next;
				if (pass) {
					/* (addr, size or None): [addr, addr + size) */
					size = hi;
					hi = NULL;
					if (size == Py_None) {
						Py_DECREF(size);
						size = NULL;
						if (!sizes && !(sizes = object_sizes(symbols)))
							goto next;
						size = PyDict_GetItemWithError(sizes, lo);
						if (!size) {
							t = PyErr_Occurred() ? -1 : 0;
							goto next;
						}
						Py_INCREF(size);
					}
					t = PyObject_IsTrue(size);
					if (t <= 0)
						goto next;
					t = -1;
					hi = PyNumber_Add(lo, size);
					if (!hi)
						goto next;
				}
				if (wide(lo, &wlo) < 0 || wide(hi, &whi) < 0)
					goto next;
				t = claim_range(c, wlo, whi, payload, (int)rank);
				if (t == 0)
					t = claim_slow(c, slow, lo, hi, payload);
			next:
				Py_XDECREF(r);
				Py_XDECREF(lo);
				Py_XDECREF(hi);
				Py_XDECREF(size);
				if (t < 0) {
					Py_DECREF(seq);
					goto done;
				}
			}
			Py_DECREF(seq);
		}
	}
	if (flush_all(c) == 0) {
		ret = Py_None;
		Py_INCREF(ret);
	}
done:
	Py_XDECREF(sizes);
	return ret;
}

/*
 * fdes(columns, index, fdes, spans, payloads)
 *
 * attribute._eh_frame(): each (offset, size, pc_begin) FDE of .eh_frame
 * (section index) claimed with the payload of the span holding pc_begin:
 * spans are (lo, hi, ...) sorted, the last one starting at or before pc
 * decides.
 */
static PyObject *py_fdes(PyObject *self, PyObject *args)
{
	PyObject *capsule, *fdes, *spans, *payloads, *ret = NULL, *it = NULL, *f;
	struct columns *c;
	struct column *col;
	__int128 *lo = NULL, *hi = NULL;
	Py_ssize_t n, k;
	long index;
	(void)self;

	if (!PyArg_ParseTuple(args, "OlOO!O!", &capsule, &index, &fdes, &PyList_Type, &spans,
			      &PyList_Type, &payloads))
		return NULL;
	c = get_columns(capsule);
	if (!c)
		return NULL;
	col = column_of(c, index);
	n = PyList_Size(spans);
	if (PyList_Size(payloads) != n) {
		PyErr_SetString(PyExc_ValueError, "a payload per span");
		return NULL;
	}
	lo = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(*lo));
	hi = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(*hi));
	if (!lo || !hi) {
		PyErr_NoMemory();
		goto done;
	}
	for (k = 0; k < n; k++)
		if (wide_item(PyList_GetItem(spans, k), 0, &lo[k]) < 0 ||
		    wide_item(PyList_GetItem(spans, k), 1, &hi[k]) < 0)
			goto done;
	it = PyObject_GetIter(fdes);
	if (!it)
		goto done;
	while ((f = PyIter_Next(it))) {
		__int128 offset, size, pc;
		Py_ssize_t a = 0, b = n;

		if (wide_item(f, 0, &offset) < 0 || wide_item(f, 1, &size) < 0 ||
		    wide_item(f, 2, &pc) < 0) {
			Py_DECREF(f);
			goto done;
		}
		Py_DECREF(f);
		while (a < b) {
			Py_ssize_t mid = (a + b) / 2;

			if (lo[mid] <= pc)
				a = mid + 1;
			else
				b = mid;
		}
		if (a > 0 && lo[a - 1] <= pc && pc < hi[a - 1] && col &&
		    claim(col, offset, offset + size, PyList_GetItem(payloads, a - 1), 1) < 0)
			goto done;
	}
	if (!PyErr_Occurred() && flush_all(c) == 0) {
		ret = Py_None;
		Py_INCREF(ret);
	}
done:
	Py_XDECREF(it);
	PyMem_Free(lo);
	PyMem_Free(hi);
	return ret;
}

/* Symbol fields (model.Symbol) */
enum { S_NAME, S_ADDR, S_SIZE, S_SECTION, S_KIND, S_BINDING, S_FILE };

/* Symbol kinds and bindings are a few shared strings: each is compared
 * with the names once */
struct names {
	PyObject *seen[32];
	int which[32], count;
};

static int which_name(struct names *n, PyObject *s, PyObject *names)
{
	Py_ssize_t i, count = PyTuple_Size(names);
	int found = -1;

	for (i = 0; i < n->count; i++)
		if (n->seen[i] == s)
			return n->which[i];
	for (i = 0; i < count; i++) {
		int eq = PyObject_RichCompareBool(s, PyTuple_GetItem(names, i), Py_EQ);

		if (eq < 0)
			return -2;
		if (eq) {
			found = (int)i;
			break;
		}
	}
	if (n->count < 32) {
		n->seen[n->count] = s;
		n->which[n->count++] = found;
	}
	return found;
}

/* A symbol of the sweep's interest: sized, of SYMBOL_KINDS */
struct sym {
	PyObject *obj;          /* borrowed from the symbol list */
	uint64_t addr, size;
	uint32_t number, group;
	uint8_t global, kind, filed;
	struct column *col;
};

enum { K_FUNC, K_OBJECT, K_TLS, K_IFUNC };

/*
 * Read the sized symbols of SYMBOL_KINDS (kinds: ("func", "object",
 * "tls", "ifunc")), bindings: ("local",); with their columns (NULL: a
 * section without claims).
 */
static struct sym *read_symbols(struct columns *c, PyObject *symbols, PyObject *kinds,
				PyObject *local, Py_ssize_t *count)
{
	struct names kn = { .count = 0 }, bn = { .count = 0 };
	struct sym *out;
	Py_ssize_t n = PyList_Size(symbols), i, m = 0;

	if (PyTuple_Size(kinds) != 4 || n >= (Py_ssize_t)NONE) {
		PyErr_SetString(PyExc_ValueError, "symbol kinds are func, object, tls, ifunc");
		return NULL;
	}
	out = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(*out));
	if (!out) {
		PyErr_NoMemory();
		return NULL;
	}
	for (i = 0; i < n; i++) {
		PyObject *s = PyList_GetItem(symbols, i);
		struct sym *y = &out[m];
		int kind, binding;
		long index;

		if (!PyTuple_Check(s) || PyTuple_Size(s) < 7) {
			PyErr_SetString(PyExc_TypeError, "a symbol is a model.Symbol");
			goto fail;
		}
		y->size = PyLong_AsUnsignedLongLong(PyTuple_GetItem(s, S_SIZE));
		if (PyErr_Occurred())
			goto fail;
		if (!y->size)
			continue;
		kind = which_name(&kn, PyTuple_GetItem(s, S_KIND), kinds);
		if (kind == -2)
			goto fail;
		if (kind < 0)
			continue;
		binding = which_name(&bn, PyTuple_GetItem(s, S_BINDING), local);
		index = PyLong_AsLong(PyTuple_GetItem(s, S_SECTION));
		y->addr = PyLong_AsUnsignedLongLong(PyTuple_GetItem(s, S_ADDR));
		if (binding == -2 || PyErr_Occurred())
			goto fail;
		y->obj = s;
		y->number = (uint32_t)i;
		y->group = 0;
		y->filed = 0;
		y->global = binding != 0;
		y->kind = (uint8_t)kind;
		y->col = column_of(c, index);
		m++;
	}
	*count = m;
	return out;
fail:
	PyMem_Free(out);
	return NULL;
}

/* A symbol's bytes in its column (_Claims.add_symbol()) */
static int claim_symbol(struct columns *c, const struct sym *y, PyObject *payload, int rank)
{
	__int128 start = y->addr;

	if (!y->col)
		return 0;
	if (!c->relocatable)
		start -= (__int128)y->col->addr - (y->kind == K_TLS ? c->tls_base : 0);
	return claim(y->col, start, start + y->size, payload, rank);
}

/*
 * Sort symbols by (group, addr, global, number): grouped by counting,
 * each group sorted on small keys (the array is in number order).
 */
static struct sym *sort_symbols(struct sym *syms, Py_ssize_t count, uint32_t groups)
{
	Py_ssize_t *at = PyMem_Calloc((size_t)groups + 2, sizeof(*at)), i;
	struct order *keys = PyMem_Malloc((size_t)(count ? count : 1) * sizeof(*keys));
	struct sym *out = PyMem_Malloc((size_t)(count ? count : 1) * sizeof(*out));
	uint32_t g;

	if (!at || !keys || !out) {
		PyMem_Free(at);
		PyMem_Free(keys);
		PyMem_Free(out);
		PyMem_Free(syms);
		PyErr_NoMemory();
		return NULL;
	}
	for (i = 0; i < count; i++)
		at[syms[i].group + 1]++;
	for (g = 1; g <= groups + 1; g++)
		at[g] += at[g - 1];
	for (i = 0; i < count; i++) {
		struct order *k = &keys[at[syms[i].group]++];

		k->start = syms[i].addr;
		k->k = (uint64_t)syms[i].global << 32 | (uint64_t)i;
	}
	/* at[g] is now where group g + 1 starts */
	for (g = 0, i = 0; g <= groups; i = at[g], g++)
		if (sort_order(keys + i, at[g] - i) < 0) {
			PyMem_Free(out);
			out = NULL;
			break;
		}
	for (i = 0; out && i < count; i++)
		out[i] = syms[keys[i].k & 0xffffffffu];
	PyMem_Free(at);
	PyMem_Free(keys);
	PyMem_Free(syms);
	return out;
}

static int set_named(Py_buffer *named, uint32_t number)
{
	if ((Py_ssize_t)number >= named->len) {
		PyErr_SetString(PyExc_IndexError, "named is shorter than the symbols");
		return -1;
	}
	((unsigned char *)named->buf)[number] = 1;
	return 0;
}

/*
 * file_symbols(columns, symbols, kinds, local, base, defined, resolve, named,
 *              source, single)
 *
 * Source 2 (attribute._file_symbols()): sized locals under an STT_FILE
 * symbol; a global the given objects define (defined: name -> path); a
 * global whose nearest locals with a file in its section, before and
 * after it by address, share one file.  base(file) expands an STT_FILE
 * name, resolve(path) names its component (each called once per name, in
 * the order of the Python loops this replaces); named[number] is set for
 * each symbol claimed.  Returns the files (STT_FILE name -> path); with
 * single true and one file, claims nothing (a relocatable object's file
 * claims its sections whole).
 */
static PyObject *py_file_symbols(PyObject *self, PyObject *args)
{
	PyObject *capsule, *symbols, *kinds, *local, *base, *defined, *resolve, *named_obj;
	PyObject *source, *rank, *files = NULL, *components = NULL;
	struct columns *c;
	struct sym *syms = NULL;
	Py_buffer named;
	Py_ssize_t count = 0, i, g, end, *next = NULL;
	uint32_t groups = 0;
	long *group_of = NULL;
	int single, ok = 0, has_defined;
	/* the last lookups: a file's symbols come together */
	PyObject *seen = NULL, *last_file = NULL, *last_path = NULL, *last_key = NULL;
	PyObject *last_comp = NULL;
	(void)self;

	if (!PyArg_ParseTuple(args, "OO!O!O!OO!OOOp", &capsule, &PyList_Type, &symbols,
			      &PyTuple_Type, &kinds, &PyTuple_Type, &local, &base,
			      &PyDict_Type, &defined, &resolve, &named_obj, &source, &single))
		return NULL;
	c = get_columns(capsule);
	if (!c || PyObject_GetBuffer(named_obj, &named, PyBUF_WRITABLE) < 0)
		return NULL;
	has_defined = PyDict_Size(defined) > 0;
	rank = PyLong_FromLong(RANK_FILE);
	files = PyDict_New();
	components = PyDict_New();
	syms = read_symbols(c, symbols, kinds, local, &count);
	if (!rank || !files || !components || !syms)
		goto done;
	/* STT_FILE names expanded in table order; sections grouped in the
	 * order their first symbol comes */
	group_of = PyMem_Calloc((size_t)c->count + 1, sizeof(*group_of));
	if (!group_of) {
		PyErr_NoMemory();
		goto done;
	}
	for (i = 0, end = 0; i < count; i++) {
		struct sym *y = &syms[i];
		PyObject *file = PyTuple_GetItem(y->obj, S_FILE);
		int t;

		if (!y->col)
			continue;
		t = file != Py_None ? PyObject_IsTrue(file) : 0;
		if (t < 0)
			goto done;
		y->filed = (uint8_t)t;
		if (t && file != seen) {
			int has = PyDict_Contains(files, file);

			if (has < 0)
				goto done;
			if (!has) {
				PyObject *path = PyObject_CallFunctionObjArgs(base, file, NULL);

				if (!path || PyDict_SetItem(files, file, path) < 0) {
					Py_XDECREF(path);
					goto done;
				}
				Py_DECREF(path);
			}
			seen = file;    /* a file's symbols come together */
		}
		if (!group_of[y->col - c->cols])
			group_of[y->col - c->cols] = ++groups;
		y->group = (uint32_t)group_of[y->col - c->cols];
		syms[end++] = *y;
	}
	count = end;
	if (single && PyDict_Size(files) == 1) {
		ok = 1;
		goto done;
	}
	syms = sort_symbols(syms, count, groups);
	if (!syms)
		goto done;
	/* next[i]: the next symbol of i's section with a file, or -1 */
	next = PyMem_Malloc((size_t)(count ? count : 1) * sizeof(*next));
	if (!next) {
		PyErr_NoMemory();
		goto done;
	}
	for (i = count - 1, g = -1; i >= 0; i--) {
		if (i + 1 < count && syms[i + 1].group != syms[i].group)
			g = -1;
		next[i] = g;
		if (syms[i].filed)
			g = i;
	}
	for (i = 0, g = -1; i < count; i++) {
		struct sym *y = &syms[i];
		PyObject *name = PyTuple_GetItem(y->obj, S_NAME);
		PyObject *file = PyTuple_GetItem(y->obj, S_FILE), *path = NULL, *comp, *payload;
		int t;

		if (i && syms[i - 1].group != y->group)
			g = -1;         /* g: the last symbol with a file before i */
		if (file == Py_None && y->global) {
			path = has_defined ? PyDict_GetItemWithError(defined, name) : NULL;
			if (!path && PyErr_Occurred())
				goto done;
			if (!path && g >= 0 && next[i] >= 0) {
				PyObject *before = PyTuple_GetItem(syms[g].obj, S_FILE);
				PyObject *after = PyTuple_GetItem(syms[next[i]].obj, S_FILE);
				int eq = PyObject_RichCompareBool(before, after, Py_EQ);

				if (eq < 0)
					goto done;
				if (eq)
					file = after;
			}
		}
		if (y->filed)
			g = i;
		if (!path) {
			if (file == Py_None || !PyObject_IsTrue(file))
				continue;
			if (file == last_file) {
				path = last_path;
			} else {
				path = PyDict_GetItemWithError(files, file);
				if (!path) {
					if (!PyErr_Occurred())
						PyErr_SetObject(PyExc_KeyError, file);
					goto done;
				}
				last_file = file;
				last_path = path;
			}
		}
		comp = path == last_key ? last_comp : PyDict_GetItemWithError(components, path);
		if (!comp) {
			if (PyErr_Occurred())
				goto done;
			comp = PyObject_CallFunctionObjArgs(resolve, path, NULL);
			if (!comp || PyDict_SetItem(components, path, comp) < 0) {
				Py_XDECREF(comp);
				goto done;
			}
			Py_DECREF(comp);
		}
		last_key = path;        /* both borrowed from dicts that keep them */
		last_comp = comp;
		payload = PyTuple_Pack(7, rank, comp, Py_None, path, name, source, Py_None);
		if (!payload)
			goto done;
		t = claim_symbol(c, y, payload, RANK_FILE);
		Py_DECREF(payload);
		if (t < 0 || set_named(&named, y->number) < 0)
			goto done;
	}
	ok = flush_all(c) == 0;
done:
	PyBuffer_Release(&named);
	PyMem_Free(syms);
	PyMem_Free(next);
	PyMem_Free(group_of);
	Py_XDECREF(rank);
	Py_XDECREF(components);
	if (!ok)
		Py_CLEAR(files);
	return files;
}

/*
 * globs(columns, symbols, kinds, local, symbol_glob, named, source)
 *
 * Sources 5 and 6 (attribute._globs()), globals first, each group in
 * table order: a symbol glob's component (symbol_glob(name), or None for
 * no globs), the symbol's label unless named, and for a data object in a
 * code section its column's object payload (its class).
 */
static PyObject *py_globs(PyObject *self, PyObject *args)
{
	PyObject *capsule, *symbols, *kinds, *local, *symbol_glob, *named_obj, *source;
	PyObject *rank5 = NULL, *rank6 = NULL, *ret = NULL;
	struct columns *c;
	struct sym *syms = NULL;
	Py_buffer named;
	Py_ssize_t count = 0, i;
	int pass;
	(void)self;

	if (!PyArg_ParseTuple(args, "OO!O!O!OOO", &capsule, &PyList_Type, &symbols,
			      &PyTuple_Type, &kinds, &PyTuple_Type, &local, &symbol_glob,
			      &named_obj, &source))
		return NULL;
	c = get_columns(capsule);
	if (!c || PyObject_GetBuffer(named_obj, &named, PyBUF_SIMPLE) < 0)
		return NULL;
	rank5 = PyLong_FromLong(RANK_SYMBOLS);
	rank6 = PyLong_FromLong(RANK_LABEL);
	syms = read_symbols(c, symbols, kinds, local, &count);
	if (!rank5 || !rank6 || !syms)
		goto done;
	for (pass = 1; pass >= 0; pass--) {
		for (i = 0; i < count; i++) {
			struct sym *y = &syms[i];
			PyObject *name = PyTuple_GetItem(y->obj, S_NAME), *payload;
			int r;

			if (y->global != pass)
				continue;
			if (symbol_glob != Py_None) {
				PyObject *comp = PyObject_CallFunctionObjArgs(symbol_glob, name, NULL);
				int t = comp ? PyObject_IsTrue(comp) : -1;

				if (t > 0) {
					payload = PyTuple_Pack(7, rank5, comp, Py_None, Py_None, name,
							       source, Py_None);
					t = payload ? claim_symbol(c, y, payload, RANK_SYMBOLS) : -1;
					Py_XDECREF(payload);
				}
				Py_XDECREF(comp);
				if (t < 0)
					goto done;
			}
			if (y->number >= named.len) {
				PyErr_SetString(PyExc_IndexError, "named is shorter than the symbols");
				goto done;
			}
			if (!((const unsigned char *)named.buf)[y->number]) {
				payload = PyTuple_Pack(7, rank6, Py_None, Py_None, Py_None, name, source,
						       Py_None);
				r = payload ? claim_symbol(c, y, payload, RANK_LABEL) : -1;
				Py_XDECREF(payload);
				if (r < 0)
					goto done;
			}
			if (y->kind == K_OBJECT && y->col && y->col->object != Py_None &&
			    claim_symbol(c, y, y->col->object, RANK_LABEL) < 0)
				goto done;
		}
	}
	if (flush_all(c) == 0) {
		ret = Py_None;
		Py_INCREF(ret);
	}
done:
	PyBuffer_Release(&named);
	PyMem_Free(syms);
	Py_XDECREF(rank5);
	Py_XDECREF(rank6);
	return ret;
}

/*
 * source_sizes(pieces)
 *
 * The pieces' bytes per source, for the pieces that name one: a list of
 * (source, bytes) in the order the sources first come.
 */
static PyObject *py_source_sizes(PyObject *self, PyObject *pieces)
{
	PyObject *seen[64], *out = NULL;
	unsigned __int128 sums[64];
	Py_ssize_t i, n, nseen = 0, k;
	(void)self;

	if (!PyList_Check(pieces)) {
		PyErr_SetString(PyExc_TypeError, "pieces are a list");
		return NULL;
	}
	n = PyList_Size(pieces);
	for (i = 0; i < n; i++) {
		PyObject *p = PyList_GetItem(pieces, i), *source;
		unsigned long long size;
		int t;

		if (!PyTuple_Check(p) || PyTuple_Size(p) < 7) {
			PyErr_SetString(PyExc_TypeError, "a piece is a model.Piece");
			return NULL;
		}
		source = PyTuple_GetItem(p, 6);
		t = PyObject_IsTrue(source);
		if (t < 0)
			return NULL;
		if (!t)
			continue;
		size = PyLong_AsUnsignedLongLong(PyTuple_GetItem(p, 3));
		if (PyErr_Occurred())
			return NULL;
		for (k = 0; k < nseen; k++) {
			int eq = seen[k] == source ? 1 :
				 PyObject_RichCompareBool(seen[k], source, Py_EQ);

			if (eq < 0)
				return NULL;
			if (eq)
				break;
		}
		if (k == nseen) {
			if (nseen == 64) {
				PyErr_SetString(PyExc_ValueError, "more than 64 sources");
				return NULL;
			}
			seen[nseen] = source;
			sums[nseen++] = 0;
		}
		sums[k] += size;
	}
	out = PyList_New(nseen);
	for (k = 0; out && k < nseen; k++) {
		PyObject *pair = Py_BuildValue("(ON)", seen[k], long128(sums[k]));

		if (!pair) {
			Py_CLEAR(out);
			break;
		}
		PyList_SetItem(out, k, pair);
	}
	return out;
}

/*
 * prefixed(symbols, prefix)
 *
 * The symbols whose names start with prefix (the __mb_ boundary symbols
 * among 10^5 others).
 */
static PyObject *py_prefixed(PyObject *self, PyObject *args)
{
	PyObject *symbols, *prefix, *out;
	Py_ssize_t i;
	(void)self;

	if (!PyArg_ParseTuple(args, "O!U", &PyList_Type, &symbols, &prefix))
		return NULL;
	out = PyList_New(0);
	for (i = 0; out && i < PyList_Size(symbols); i++) {
		PyObject *s = PyList_GetItem(symbols, i);
		Py_ssize_t hit;

		if (!PyTuple_Check(s) || PyTuple_Size(s) < 1) {
			PyErr_SetString(PyExc_TypeError, "a symbol is a model.Symbol");
			Py_CLEAR(out);
			break;
		}
		hit = PyUnicode_Tailmatch(PyTuple_GetItem(s, 0), prefix, 0, PY_SSIZE_T_MAX, -1);
		if (hit < 0 || (hit && PyList_Append(out, s) < 0))
			Py_CLEAR(out);
	}
	return out;
}

/*
 * Source 3's loop (attribute._map): one claim per input section of the
 * map, in the section of its output section that holds its address.
 * What needs a rule of Python's (the class a name says, an object's
 * source file, a component's globs) is asked of the callables given,
 * once per object or path; payloads are shared through the dicts given.
 */
struct candidate {
	long index;
	__int128 addr, size;
	int writable, nobits;
};

/* The sections named output, from outputs[output]: a tuple of
 * (index, addr, size, writable, nobits); *n = 0 when none */
static struct candidate *candidates(PyObject *outputs, PyObject *output, Py_ssize_t *n)
{
	PyObject *secs = PyDict_GetItemWithError(outputs, output);
	struct candidate *cand;
	Py_ssize_t i;

	*n = 0;
	if (!secs)
		return PyErr_Occurred() ? NULL : PyMem_Malloc(1);
	*n = PyTuple_Size(secs);
	if (*n < 0)
		return NULL;
	cand = PyMem_Malloc((size_t)*n * sizeof(*cand) + 1);
	if (!cand) {
		PyErr_NoMemory();
		return NULL;
	}
	for (i = 0; i < *n; i++) {
		PyObject *t = PyTuple_GetItem(secs, i);

		if (!t || !PyTuple_Check(t) || PyTuple_Size(t) != 5 ||
		    (cand[i].index = PyLong_AsLong(PyTuple_GetItem(t, 0))) == -1 ||
		    wide(PyTuple_GetItem(t, 1), &cand[i].addr) < 0 ||
		    wide(PyTuple_GetItem(t, 2), &cand[i].size) < 0 ||
		    (cand[i].writable = PyObject_IsTrue(PyTuple_GetItem(t, 3))) < 0 ||
		    (cand[i].nobits = PyObject_IsTrue(PyTuple_GetItem(t, 4))) < 0) {
			if (!PyErr_Occurred())
				PyErr_SetString(PyExc_ValueError, "bad output section");
			PyMem_Free(cand);
			return NULL;
		}
	}
	return cand;
}

/* dict[key], computed by fn(key) and stored when missing; a new reference */
static PyObject *memo(PyObject *dict, PyObject *key, PyObject *fn)
{
	PyObject *v = PyDict_GetItemWithError(dict, key);

	if (v) {
		Py_INCREF(v);
		return v;
	}
	if (PyErr_Occurred())
		return NULL;
	v = PyObject_CallFunctionObjArgs(fn, key, NULL);
	if (v && PyDict_SetItem(dict, key, v) < 0)
		Py_CLEAR(v);
	return v;
}

/*
 * map(columns, entries, outputs, input_class, object_source, section_glob,
 *     resolve_path, merged_match, sources, components, payloads, constants)
 *
 * entries        the map's entries with a size, in map order
 * outputs        output section name -> its sections (candidates() above)
 * section_glob, merged_match   callables, or None when there are none
 * sources        object -> source path (filled in)
 * components     path -> component (filled in)
 * payloads       (component, bucket, path, class) -> payload (filled in)
 * constants      (rank, source, padding, linker, merged strings, "data", "bss")
 */
static PyObject *py_map(PyObject *self, PyObject *args)
{
	PyObject *capsule, *entries, *outputs, *input_class, *object_source, *section_glob;
	PyObject *resolve_path, *merged_match, *sources, *components, *payloads;
	PyObject *rank, *source, *padding, *linker_bucket, *merged_bucket, *data, *bss;
	PyObject *last_output = NULL;
	struct candidate *cand = NULL;
	struct columns *c;
	Py_ssize_t ncand = 0, count, k;
	(void)self;

	if (!PyArg_ParseTuple(args, "OO!O!OOOOOO!O!O!(OOOOOOO)", &capsule, &PyList_Type,
			      &entries, &PyDict_Type, &outputs, &input_class, &object_source,
			      &section_glob, &resolve_path, &merged_match, &PyDict_Type, &sources,
			      &PyDict_Type, &components, &PyDict_Type, &payloads, &rank, &source,
			      &padding, &linker_bucket, &merged_bucket, &data, &bss))
		return NULL;
	long map_rank;

	c = get_columns(capsule);
	if (!c || ((map_rank = PyLong_AsLong(rank)) == -1 && PyErr_Occurred()))
		return NULL;
	count = PyList_Size(entries);
	for (k = 0; k < count; k++) {
		PyObject *e = PyList_GetItem(entries, k), *name, *output, *obj;
		PyObject *comp = NULL, *bucket = Py_None, *path = NULL, *cls = NULL;
		PyObject *key, *payload;
		struct candidate *sec = NULL;
		struct column *col;
		__int128 addr, size, end, after;
		Py_ssize_t i;
		int fill, linker, merged, ok;

		if (!PyTuple_Check(e) || PyTuple_Size(e) < 8) {
			PyErr_SetString(PyExc_TypeError, "a map entry must be a MapEntry");
			goto fail;
		}
		name = PyTuple_GetItem(e, 0);
		output = PyTuple_GetItem(e, 1);
		obj = PyTuple_GetItem(e, 4);
		if (wide(PyTuple_GetItem(e, 2), &addr) < 0 || wide(PyTuple_GetItem(e, 3), &size) < 0 ||
		    (fill = PyObject_IsTrue(PyTuple_GetItem(e, 5))) < 0 ||
		    (linker = PyObject_IsTrue(PyTuple_GetItem(e, 6))) < 0 ||
		    (merged = PyObject_IsTrue(PyTuple_GetItem(e, 7))) < 0)
			goto fail;
		/* Only allocated output sections hold bytes (.debug_* offsets are
		 * no addresses); consecutive entries share their output's name */
		if (output != last_output) {
			int same = last_output ? PyUnicode_Compare(output, last_output) == 0 : 0;

			if (PyErr_Occurred())
				goto fail;
			if (!same) {
				PyMem_Free(cand);
				cand = candidates(outputs, output, &ncand);
				if (!cand)
					goto fail;
			}
			last_output = output;
		}
		for (i = 0; i < ncand; i++)
			if (cand[i].addr <= addr && addr < cand[i].addr + cand[i].size) {
				sec = &cand[i];
				break;
			}
		if (!sec)
			continue;
		/* the extent, clipped as _map_spans() does */
		end = addr + size;
		if (k + 1 < count) {
			PyObject *next = PyList_GetItem(entries, k + 1);
			PyObject *next_output = PyTuple_GetItem(next, 1);

			if (!next_output || wide(PyTuple_GetItem(next, 2), &after) < 0)
				goto fail;
			if (addr <= after && after < end) {
				int same = next_output == output ||
					   PyUnicode_Compare(next_output, output) == 0;

				if (PyErr_Occurred())
					goto fail;
				if (same)
					end = after;
			}
		}
		if (fill) {
			bucket = padding;
		} else if (linker) {
			bucket = linker_bucket;
		} else if (merged) {
			bucket = merged_bucket;
		} else {
			int has;

			cls = PyObject_CallFunctionObjArgs(input_class, name, NULL);
			if (!cls)
				goto fail;
			if (cls == Py_None && sec->writable && !sec->nobits) {
				/* a table or the like in a writable (mixed) section */
				Py_DECREF(cls);
				cls = Py_NewRef(data);
			}
			if ((has = PyObject_IsTrue(obj)) < 0)
				goto claim_fail;
			path = has ? memo(sources, obj, object_source) : Py_NewRef(Py_None);
			if (!path)
				goto claim_fail;
			if (section_glob != Py_None) {
				comp = PyObject_CallFunctionObjArgs(section_glob, name, NULL);
				if (!comp || (has = PyObject_IsTrue(comp)) < 0)
					goto claim_fail;
				if (!has)
					Py_CLEAR(comp);
			}
			if (!comp && !(comp = memo(components, path, resolve_path)))
				goto claim_fail;
			if (comp == Py_None && merged_match != Py_None) {
				PyObject *m = PyObject_CallFunctionObjArgs(merged_match, name, NULL);

				if (!m || (has = PyObject_IsTrue(m)) < 0) {
					Py_XDECREF(m);
					goto claim_fail;
				}
				Py_DECREF(m);
				if (has)
					bucket = merged_bucket;
			}
		}
		if (!comp)
			comp = Py_NewRef(Py_None);
		if (!path)
			path = Py_NewRef(Py_None);
		if (!cls)
			cls = Py_NewRef(Py_None);
		key = PyTuple_Pack(4, comp, bucket, path, cls);
		payload = key ? PyDict_GetItemWithError(payloads, key) : NULL;
		if (payload) {
			Py_INCREF(payload);
		} else if (key && !PyErr_Occurred()) {
			payload = PyTuple_Pack(7, rank, comp, bucket, path, Py_None, source, cls);
			if (payload && PyDict_SetItem(payloads, key, payload) < 0)
				Py_CLEAR(payload);
		}
		Py_XDECREF(key);
		if (!payload)
			goto claim_fail;
		col = column_of(c, sec->index);
		ok = 0;
		if (col && !col->linker) {
			/* NOBITS holds bss alone; a stored byte is never bss */
			if (cls != Py_None && sec->nobits != (PyUnicode_Compare(cls, bss) == 0)) {
				PyObject *stripped = PyTuple_Pack(7, rank, comp, bucket, path, Py_None,
								  source, Py_None);

				Py_DECREF(payload);
				payload = stripped;
			}
			ok = payload ? claim(col, addr - sec->addr, end - sec->addr, payload,
					     (int)map_rank) : -1;
		}
		Py_XDECREF(payload);
		Py_DECREF(comp);
		Py_DECREF(path);
		Py_DECREF(cls);
		if (ok < 0)
			goto fail;
		continue;
claim_fail:
		Py_XDECREF(comp);
		Py_XDECREF(path);
		Py_XDECREF(cls);
		goto fail;
	}
	PyMem_Free(cand);
	if (flush_all(c) < 0)
		return NULL;
	Py_RETURN_NONE;
fail:
	/* The claims made so far are dropped with the attribution the
	 * exception ends: flushing them would call Python with it set */
	PyMem_Free(cand);
	return NULL;
}

static PyMethodDef methods[] = {
	{"sweep", py_sweep, METH_VARARGS, "The runs of one section's claims."},
	{"pieces", py_pieces, METH_VARARGS, "Cut one section's claims into Pieces."},
	{"check", py_check, METH_VARARGS, "Where pieces fail to tile the sections, or None."},
	{"columns", py_columns, METH_VARARGS, "The claims' columns, for the calls below."},
	{"file_symbols", py_file_symbols, METH_VARARGS, "Source 2: file symbols."},
	{"units", py_units, METH_VARARGS, "Source 1: units' code ranges and variables."},
	{"fdes", py_fdes, METH_VARARGS, "Source 1: .eh_frame FDEs with their units."},
	{"source_sizes", py_source_sizes, METH_O, "The pieces' bytes per source."},
	{"prefixed", py_prefixed, METH_VARARGS, "The symbols whose names start with a prefix."},
	{"globs", py_globs, METH_VARARGS, "Sources 5 and 6: symbol globs and labels."},
	{"map", py_map, METH_VARARGS, "Source 3: the map's input sections."},
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
