/* The hot path of mind's Python API: one call of a compiled function with NumPy arrays, without
 * ctypes. The arrays' descriptions go to mind_call on the stack (the GIL released during the
 * call), and the results come back as NumPy arrays over the library's memory, which a capsule
 * frees with mind_results_free when the last of them is collected. Everything else (sessions,
 * functions, errors) goes through ctypes in __init__.py, which hands this module the addresses
 * of mind_call and mind_results_free (so it links against nothing). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include "mind.h"

typedef int32_t (*call_function)(mind_function *, const mind_array *, int64_t, mind_result **, int64_t *);
typedef void (*free_function)(mind_result *, int64_t);

static call_function mind_call_pointer;
static free_function mind_results_free_pointer;

enum { MAX_ARGUMENTS = 256, MAX_RANK = 64 };

typedef struct {
  mind_result *results;
  int64_t count;
} owned_results;

static void free_results(PyObject *capsule) {
  owned_results *owned = PyCapsule_GetPointer(capsule, "mind.results");
  if (owned) {
    mind_results_free_pointer(owned->results, owned->count);
    PyMem_Free(owned);
  }
}

static int code_of(int type) {
  switch (type) {
  case NPY_FLOAT32: return MIND_F32;
  case NPY_FLOAT64: return MIND_F64;
  case NPY_INT32: return MIND_I32;
  case NPY_INT64: return MIND_I64;
  case NPY_BOOL: return MIND_BOOL;
  default: return -1;
  }
}

static const int numpy_types[] = {NPY_FLOAT32, NPY_FLOAT64, NPY_INT32, NPY_INT64, NPY_BOOL};

/* set_library(call_address, free_address) */
static PyObject *set_library(PyObject *self, PyObject *args) {
  unsigned long long call, release;
  if (!PyArg_ParseTuple(args, "KK", &call, &release)) return NULL;
  mind_call_pointer = (call_function)(uintptr_t)call;
  mind_results_free_pointer = (free_function)(uintptr_t)release;
  Py_RETURN_NONE;
}

/* call(function_address, arrays) -> the array of a lone tensor result, else [(name, array), ...];
 * None after an error (the caller reads mind_last_error). The arrays must be ndarrays of a
 * supported dtype (else TypeError). */
static PyObject *call(PyObject *self, PyObject *args) {
  unsigned long long function;
  PyObject *sequence;
  if (!PyArg_ParseTuple(args, "KO", &function, &sequence)) return NULL;
  PyObject *arrays = PySequence_Fast(sequence, "arrays must be a sequence");
  if (!arrays) return NULL;
  Py_ssize_t count = PySequence_Fast_GET_SIZE(arrays);
  if (count > MAX_ARGUMENTS) {
    Py_DECREF(arrays);
    return PyErr_Format(PyExc_ValueError, "mind takes at most %d arrays in one call", MAX_ARGUMENTS);
  }
  mind_array described[MAX_ARGUMENTS];
  int64_t extents[512];
  int64_t *more_extents = NULL;
  Py_ssize_t total_rank = 0;
  for (Py_ssize_t i = 0; i < count; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(arrays, i);
    if (!PyArray_Check(item)) {
      Py_DECREF(arrays);
      return PyErr_Format(PyExc_TypeError, "argument %zd is not a NumPy array", i);
    }
    total_rank += PyArray_NDIM((PyArrayObject *)item);
  }
  /* Extents and strides of every array, in one buffer. */
  int64_t *dims = total_rank * 2 <= 512 ? extents : (more_extents = PyMem_Malloc(sizeof(int64_t) * total_rank * 2));
  if (!dims) {
    Py_DECREF(arrays);
    return PyErr_NoMemory();
  }
  Py_ssize_t at = 0;
  for (Py_ssize_t i = 0; i < count; i++) {
    PyArrayObject *array = (PyArrayObject *)PySequence_Fast_GET_ITEM(arrays, i);
    int rank = PyArray_NDIM(array);
    int code = code_of(PyArray_TYPE(array));
    if (code < 0 || rank > MAX_RANK) {
      PyMem_Free(more_extents);
      Py_DECREF(arrays);
      return PyErr_Format(PyExc_TypeError, "argument %zd has a dtype or rank mind does not take", i);
    }
    int64_t *shape = dims + at, *strides = dims + at + rank;
    for (int axis = 0; axis < rank; axis++) {
      shape[axis] = PyArray_DIM(array, axis);
      strides[axis] = PyArray_STRIDE(array, axis);
    }
    at += 2 * rank;
    described[i].data = PyArray_DATA(array);
    described[i].dtype = code;
    described[i].rank = rank;
    described[i].extents = shape;
    described[i].strides = PyArray_IS_C_CONTIGUOUS(array) ? NULL : strides;
  }
  mind_result *results = NULL;
  int64_t result_count = 0;
  int32_t status;
  Py_BEGIN_ALLOW_THREADS
  status = mind_call_pointer((mind_function *)(uintptr_t)function, described, count, &results, &result_count);
  Py_END_ALLOW_THREADS
  PyMem_Free(more_extents);
  Py_DECREF(arrays);
  if (status != 0) Py_RETURN_NONE;
  owned_results *owned = PyMem_Malloc(sizeof *owned);
  if (!owned) {
    mind_results_free_pointer(results, result_count);
    return PyErr_NoMemory();
  }
  owned->results = results;
  owned->count = result_count;
  PyObject *capsule = PyCapsule_New(owned, "mind.results", free_results);
  if (!capsule) {
    mind_results_free_pointer(results, result_count);
    PyMem_Free(owned);
    return NULL;
  }
  if (result_count == 1 && results[0].name[0] == 0) {
    /* A lone tensor: the array itself. */
    mind_result *result = &results[0];
    npy_intp shape[MAX_RANK];
    for (int axis = 0; axis < result->rank; axis++) shape[axis] = result->extents[axis];
    PyObject *array = PyArray_SimpleNewFromData(result->rank, shape, numpy_types[result->dtype], result->data);
    if (array) PyArray_SetBaseObject((PyArrayObject *)array, capsule);
    else Py_DECREF(capsule);
    return array;
  }
  PyObject *list = PyList_New(result_count);
  for (int64_t i = 0; list && i < result_count; i++) {
    mind_result *result = &results[i];
    npy_intp shape[MAX_RANK];
    for (int axis = 0; axis < result->rank; axis++) shape[axis] = result->extents[axis];
    PyObject *array = PyArray_SimpleNewFromData(result->rank, shape, numpy_types[result->dtype], result->data);
    PyObject *name = PyUnicode_FromString(result->name);
    if (!array || !name) {
      Py_XDECREF(array);
      Py_XDECREF(name);
      Py_CLEAR(list);
      break;
    }
    Py_INCREF(capsule);
    PyArray_SetBaseObject((PyArrayObject *)array, capsule);
    PyList_SET_ITEM(list, i, PyTuple_Pack(2, name, array));
    Py_DECREF(name);
    Py_DECREF(array);
  }
  Py_DECREF(capsule);
  return list;
}

static PyMethodDef methods[] = {
    {"set_library", set_library, METH_VARARGS, "set_library(call_address, free_address)"},
    {"call", call, METH_VARARGS, "call(function_address, arrays) -> [(name, array)] or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastcall", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastcall(void) {
  import_array();
  return PyModule_Create(&module);
}
