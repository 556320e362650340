"""mind from Python: MIND programs compiled by the mind JIT, called with NumPy arrays.

    import mind, numpy as np
    prog = mind.load("model.mind")            # or mind.compile(source_text)
    g = prog.function("grad(loss, wrt=(0, 1))")
    dw, db = g(w, b, x, y)                      # NumPy arrays in and out

A struct parameter takes a dict (or any object with the fields as attributes, such as a
dataclass); a struct result comes back as a dict, a tuple as a tuple. Python numbers become
scalars of the parameter's dtype. C-contiguous arrays are read in place; others are copied once.
Errors raise MindError, whose message is the located diagnostic.

The bindings are ctypes over libmindc (the C interface of the Swift library, mind.h), found as
$MIND_LIBRARY, next to this file (where `pip install` puts it), or in the repository's build;
calls go through the small C extension `_fastcall` (ctypes alone cost 15-25 µs a call).
"""
import ctypes
import json
import os

import numpy as np

from . import _fastcall

__all__ = ["MindError", "Program", "Function", "load", "compile"]

_DTYPES = [np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.bool_)]
_CODES = {dtype: code for code, dtype in enumerate(_DTYPES)}
_SCALARS = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64, "bool": np.bool_}


class MindError(Exception):
    """An error of a MIND program or of a call into it: `code` (E2001, ...) and the located
    diagnostic as the message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _library_path():
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("MIND_LIBRARY"), os.path.join(here, "libmindc.so")]
    root = os.path.dirname(os.path.dirname(here))
    candidates += [os.path.join(root, ".build", kind, "libmindc.so") for kind in ("release", "debug")]
    for path in candidates:
        if path and os.path.exists(path):
            return path
    raise ImportError("libmindc.so not found: build it with `swift build -c release --product mindc` "
                      "or set MIND_LIBRARY")


_lib = ctypes.CDLL(_library_path())
_lib.mind_session_new.restype = ctypes.c_void_p
_lib.mind_session_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32]
_lib.mind_session_open.restype = ctypes.c_void_p
_lib.mind_session_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32]
_lib.mind_session_free.argtypes = [ctypes.c_void_p]
_lib.mind_function_new.restype = ctypes.c_void_p
_lib.mind_function_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_lib.mind_function_free.argtypes = [ctypes.c_void_p]
_lib.mind_function_parameters.restype = ctypes.c_char_p
_lib.mind_function_parameters.argtypes = [ctypes.c_void_p]
_lib.mind_function_last_argument.restype = ctypes.c_void_p
_lib.mind_function_last_argument.argtypes = [ctypes.c_void_p, ctypes.c_int64]
_lib.mind_session_cache_hits.restype = ctypes.c_int64
_lib.mind_session_cache_hits.argtypes = [ctypes.c_void_p]
_lib.mind_session_compilations.restype = ctypes.c_int64
_lib.mind_session_compilations.argtypes = [ctypes.c_void_p]
_lib.mind_last_error.restype = ctypes.c_char_p
_fastcall.set_library(ctypes.cast(_lib.mind_call, ctypes.c_void_p).value,
                      ctypes.cast(_lib.mind_results_free, ctypes.c_void_p).value)
_lib.mind_last_error_code.restype = ctypes.c_char_p


def _raise():
    raise MindError(_lib.mind_last_error_code().decode(), _lib.mind_last_error().decode())


def _flags(ieee_subnormals, tiered):
    return (1 if ieee_subnormals else 0) | (0 if tiered else 2)


def _cache(cache_dir):
    return None if cache_dir is None else os.fsencode(cache_dir)


def load(path, cache_dir=None, ieee_subnormals=False, tiered=True):
    """The program in a .mind file (its imports resolved beside it). `cache_dir`: None for the
    default object cache ($MIND_CACHE_DIR, else ~/.cache/mind), "" for none."""
    handle = _lib.mind_session_open(os.fsencode(path), _cache(cache_dir), _flags(ieee_subnormals, tiered))
    if not handle:
        _raise()
    return Program(handle)


def compile(source, name="<string>.mind", cache_dir=None, ieee_subnormals=False, tiered=True):
    """The program in MIND source text (`name` is its file name in diagnostics)."""
    handle = _lib.mind_session_new(source.encode(), name.encode(), _cache(cache_dir), _flags(ieee_subnormals, tiered))
    if not handle:
        _raise()
    return Program(handle)


class Program:
    """A loaded MIND program (a session of the JIT: its compiled specializations and cache)."""

    def __init__(self, handle):
        self._handle = handle

    def __del__(self):
        if getattr(self, "_handle", None):
            _lib.mind_session_free(self._handle)
            self._handle = None

    @property
    def cache_hits(self):
        """How many specializations came from the object cache."""
        return _lib.mind_session_cache_hits(self._handle)

    @property
    def compilations(self):
        """How many specializations were compiled."""
        return _lib.mind_session_compilations(self._handle)

    def function(self, expression):
        """Any MIND expression that denotes a function: "loss", "grad(loss, wrt=(0, 1))", "vmap(f)"."""
        handle = _lib.mind_function_new(self._handle, expression.encode())
        if not handle:
            _raise()
        return Function(self, handle, expression)


class Function:
    """A function of a program; calling it compiles a specialization for the arguments' shapes on
    first use."""

    def __init__(self, program, handle, expression):
        self._program, self._handle, self.expression = program, handle, expression
        text = _lib.mind_function_parameters(handle)
        if text is None:
            _raise()
        self.parameters = json.loads(text)
        # The declared types when every parameter is one tensor (the fast path of _leaves).
        plain = all("tensor" in p["layout"] for p in self.parameters)
        self._plain = [p["layout"]["tensor"] for p in self.parameters] if plain and self.parameters else None

    def __del__(self):
        if getattr(self, "_handle", None):
            _lib.mind_function_free(self._handle)
            self._handle = None

    def __repr__(self):
        return f"<mind function {self.expression}>"

    def last_argument_address(self, index):
        """The address the last call read leaf argument `index` from (in place: the array's own)."""
        return _lib.mind_function_last_argument(self._handle, index)

    def _leaves(self, args):
        leaves = []
        if self.parameters and len(args) != len(self.parameters):
            raise MindError("E2007", f"`{self.expression}` takes {len(self.parameters)} arguments, "
                                     f"{len(args)} were given")
        for i, value in enumerate(args):
            if self.parameters:
                parameter = self.parameters[i]
                _flatten(value, parameter["layout"], parameter["name"], leaves)
            else:
                _flatten(value, {"tensor": None, "dtype": None}, str(i), leaves)
        return leaves

    def __call__(self, *args):
        if self._plain is not None and len(args) == len(self._plain):
            # Tensor parameters given arrays: straight to the library (_fastcall checks each is an
            # ndarray of a dtype mind takes, and raises TypeError otherwise).
            try:
                named = _fastcall.call(self._handle, args)
            except TypeError:
                named = _fastcall.call(self._handle, self._leaves(args))
        else:
            named = _fastcall.call(self._handle, self._leaves(args))
        if type(named) is np.ndarray:
            return named
        if named is None:
            _raise()
        return _structure(named)


def _flatten(value, layout, name, leaves):
    """Appends the arrays of `value`, laid out as `layout` (the JSON of mind_function_parameters)."""
    if "tensor" in layout:
        leaves.append(_array(value, layout.get("dtype"), name))
    elif "tuple" in layout:
        elements = layout["tuple"]
        if not isinstance(value, (tuple, list)) or len(value) != len(elements):
            raise MindError("E2001", f"`{name}` takes a tuple of {len(elements)} elements")
        for i, (element, element_layout) in enumerate(zip(value, elements)):
            _flatten(element, element_layout, f"{name}.{i}", leaves)
    else:
        for field in layout["fields"]:
            if isinstance(value, dict):
                if field["name"] not in value:
                    raise MindError("E2016", f"`{name}` of type {layout['struct']} needs the field `{field['name']}`")
                part = value[field["name"]]
            elif hasattr(value, field["name"]):
                part = getattr(value, field["name"])
            else:
                raise MindError("E2016", f"`{name}` of type {layout['struct']} needs the field `{field['name']}`")
            _flatten(part, field["layout"], f"{name}.{field['name']}", leaves)


def _array(value, declared, name):
    """A NumPy array for a tensor argument: arrays as they are, Python numbers and lists with the
    declared dtype (f32 for floats and i64 for ints when none is declared)."""
    if isinstance(value, np.ndarray):
        array = value
    else:
        dtype = _SCALARS.get(declared)
        if dtype is None:
            probe = np.asarray(value)
            dtype = {"f": np.float32, "i": np.int64, "u": np.int64, "b": np.bool_}.get(probe.dtype.kind)
        array = np.asarray(value, dtype=dtype)
    if array.dtype not in _CODES:
        raise MindError("E7103", f"argument `{name}` has dtype {array.dtype} (mind takes float32, float64, "
                                 "int32, int64 and bool)")
    return array


def _structure(named):
    """The result from its named leaves: one array, or nested dicts (struct fields) and tuples
    (elements named 0, 1, ...)."""
    if len(named) == 1 and named[0][0] == "":
        return named[0][1]
    tree = {}
    for name, array in named:
        node = tree
        parts = name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = array

    def build(node):
        if not isinstance(node, dict):
            return node
        built = {key: build(child) for key, child in node.items()}
        if built and all(key.isdigit() for key in built) and sorted(map(int, built)) == list(range(len(built))):
            return tuple(built[str(i)] for i in range(len(built)))
        return built

    return build(tree)
