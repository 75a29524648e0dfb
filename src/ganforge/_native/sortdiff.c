/* ganforge._sortdiff: row-wise sorted L1 distance between two float32 matrices (the inner loop of the sliced
 * Wasserstein distance).
 *
 * For rows r in [start, stop): sort a[r] and b[r] (ascending) and write sum_j |a[r][j] - b[r][j]| of the sorted
 * rows (the difference rounded to float32, the sum accumulated in double) to out[r]. The rows are used as scratch
 * (they hold sort keys afterwards). The sort is an LSD radix sort over the order-preserving uint32 image of the
 * IEEE-754 bits, so the sorted values are exactly NumPy's np.sort of the same row (-0.0 sorts before +0.0; NaNs
 * after +inf).
 * The GIL is released while sorting, so Python threads can work on disjoint row ranges at the same time.
 * MIT licence, part of ganforge.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t to_key(uint32_t u) { return (u & 0x80000000u) ? ~u : (u | 0x80000000u); }
static inline uint32_t from_key(uint32_t k) { return (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k; }

/* LSD radix sort of m keys on their low 21 bits (digits of 8, 8 and 5 bits) from src to dst; tmp is scratch.
 * The three passes go src -> dst -> tmp -> dst. */
static void lsd_low21(const uint32_t *src, uint32_t *dst, uint32_t *tmp, Py_ssize_t m) {
    Py_ssize_t c0[256] = {0}, c1[256] = {0}, c2[32] = {0};
    for (Py_ssize_t i = 0; i < m; i++) {
        uint32_t k = src[i];
        c0[k & 0xffu]++;
        c1[(k >> 8) & 0xffu]++;
        c2[(k >> 16) & 0x1fu]++;
    }
    Py_ssize_t s0 = 0, s1 = 0, s2 = 0;
    for (int d = 0; d < 256; d++) {
        Py_ssize_t t0 = c0[d], t1 = c1[d];
        c0[d] = s0;
        c1[d] = s1;
        s0 += t0;
        s1 += t1;
    }
    for (int d = 0; d < 32; d++) {
        Py_ssize_t t2 = c2[d];
        c2[d] = s2;
        s2 += t2;
    }
    for (Py_ssize_t i = 0; i < m; i++) dst[c0[src[i] & 0xffu]++] = src[i];
    for (Py_ssize_t i = 0; i < m; i++) tmp[c1[(dst[i] >> 8) & 0xffu]++] = dst[i];
    for (Py_ssize_t i = 0; i < m; i++) dst[c2[(tmp[i] >> 16) & 0x1fu]++] = tmp[i];
}

/* Sort the n floats whose bits are in `data` as order-preserving keys, left in `data`; `tmp` (n words) is scratch.
 * One most-significant pass on the top 11 bits (sign, exponent, 2 mantissa bits) splits the keys into buckets that
 * fit in the core's cache; each bucket is then sorted on its low 21 bits (LSD radix, or insertion sort when small).
 * Keeping the passes in cache matters more than their number: the two cores share the memory bandwidth. */
static int sort_keys(uint32_t *data, uint32_t *tmp, Py_ssize_t n) {
    Py_ssize_t *start = calloc(2049, sizeof(Py_ssize_t));
    uint32_t *scratch = malloc(65536 * sizeof(uint32_t));
    if (start == NULL || scratch == NULL) {
        free(start);
        free(scratch);
        return -1;
    }
    Py_ssize_t *fill = start + 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t k = to_key(data[i]);
        data[i] = k;
        fill[k >> 21]++;
    }
    for (int d = 0; d < 2048; d++) fill[d] += start[d]; /* start[d] = first slot of bucket d; start[2048] = n */
    Py_ssize_t pos[2048];
    memcpy(pos, start, sizeof(pos));
    for (Py_ssize_t i = 0; i < n; i++) tmp[pos[data[i] >> 21]++] = data[i];
    for (int d = 0; d < 2048; d++) {
        Py_ssize_t lo = start[d], m = start[d + 1] - lo;
        if (m <= 48) {
            uint32_t *out = data + lo;
            for (Py_ssize_t i = 0; i < m; i++) { /* insertion sort */
                uint32_t k = tmp[lo + i];
                Py_ssize_t j = i;
                while (j > 0 && out[j - 1] > k) {
                    out[j] = out[j - 1];
                    j--;
                }
                out[j] = k;
            }
        } else if (m <= 65536) {
            lsd_low21(tmp + lo, data + lo, scratch, m);
        } else {
            uint32_t *big = malloc((size_t)m * sizeof(uint32_t));
            if (big == NULL) {
                free(start);
                free(scratch);
                return -1;
            }
            lsd_low21(tmp + lo, data + lo, big, m);
            free(big);
        }
    }
    free(start);
    free(scratch);
    return 0;
}

static int get_matrix(PyObject *obj, Py_buffer *view, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->ndim != 2 || view->itemsize != 4 || view->format == NULL || strcmp(view->format, "f") != 0) {
        PyErr_Format(PyExc_ValueError, "%s must be a C-contiguous, writable 2-D float32 array", name);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *sorted_l1_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *a_obj, *b_obj, *out_obj;
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "OOOnn", &a_obj, &b_obj, &out_obj, &start, &stop)) return NULL;
    Py_buffer a, b, out;
    if (get_matrix(a_obj, &a, "a") < 0) return NULL;
    if (get_matrix(b_obj, &b, "b") < 0) {
        PyBuffer_Release(&a);
        return NULL;
    }
    if (PyObject_GetBuffer(out_obj, &out, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&a);
        PyBuffer_Release(&b);
        return NULL;
    }
    Py_ssize_t rows = a.shape[0], cols = a.shape[1];
    const char *problem = NULL;
    if (b.shape[0] != rows || b.shape[1] != cols) problem = "a and b must have the same shape";
    else if (out.ndim != 1 || out.itemsize != 8 || strcmp(out.format, "d") != 0 || out.shape[0] != rows)
        problem = "out must be a float64 vector with one entry per row";
    else if (start < 0 || stop > rows || start > stop) problem = "row range out of bounds";
    uint32_t *tmp = NULL;
    if (problem == NULL && cols > 0 && (tmp = malloc((size_t)cols * sizeof(uint32_t))) == NULL) problem = "out of memory";
    if (problem != NULL) {
        PyBuffer_Release(&a);
        PyBuffer_Release(&b);
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, problem);
        return NULL;
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = start; r < stop && !failed; r++) {
        uint32_t *ka = (uint32_t *)a.buf + r * cols, *kb = (uint32_t *)b.buf + r * cols;
        if (sort_keys(ka, tmp, cols) < 0 || sort_keys(kb, tmp, cols) < 0) {
            failed = 1;
            break;
        }
        double acc = 0.0;
        for (Py_ssize_t j = 0; j < cols; j++) {
            uint32_t ua = from_key(ka[j]), ub = from_key(kb[j]);
            float fa, fb;
            memcpy(&fa, &ua, 4);
            memcpy(&fb, &ub, 4);
            acc += fabsf(fa - fb);
        }
        ((double *)out.buf)[r] = acc;
    }
    Py_END_ALLOW_THREADS
    if (failed) {
        free(tmp);
        PyBuffer_Release(&a);
        PyBuffer_Release(&b);
        PyBuffer_Release(&out);
        return PyErr_NoMemory();
    }
    free(tmp);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"sorted_l1_rows", sorted_l1_rows, METH_VARARGS,
     "sorted_l1_rows(a, b, out, start, stop): for rows start:stop of the float32 matrices a and b, write "
     "sum |sorted(a[r]) - sorted(b[r])| to out[r] (float64). The rows are overwritten (used as scratch)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sortdiff", "Row-wise sorted L1 distance (SWD).", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__sortdiff(void) { return PyModule_Create(&module); }
