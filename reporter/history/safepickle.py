"""Turn untrusted pickle bytes into plain dicts, lists and floats, or refuse them.

A pickle is a program. This module never runs one with the real ``pickle``
globals: it first walks the opcode stream (rejecting unknown or dangerous
opcodes, memo indices larger than the file, and any global that is not on a
short allow-list), then loads it with an unpickler whose ``find_class`` maps the
few allowed names to small pure-Python stand-ins. The stand-ins validate their
arguments and rebuild values with :func:`numpy.frombuffer`; numpy's own C
reconstructors, which crash on malformed state (numpy issue #30476), are never
called with untrusted data.

Accepted: what Keras ``history.history`` pickles hold in practice — dicts,
lists, tuples, ints, floats, strings, numpy scalars and 1-D numeric arrays
written by numpy 1 (``numpy.core``) or numpy 2 (``numpy._core``), protocols 0-5,
Python 2 pickles.
"""

from __future__ import annotations

import io
import pickle
import pickletools
from collections.abc import Callable
from typing import Any

import numpy as np

from reporter.errors import UnsafeInputError

__all__ = ["safe_loads"]

_NUMERIC_CODES = {
    "f2",
    "f4",
    "f8",
    "i1",
    "i2",
    "i4",
    "i8",
    "u1",
    "u2",
    "u4",
    "u8",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
}
_FORBIDDEN_OPS = {
    "PERSID",
    "BINPERSID",
    "EXT1",
    "EXT2",
    "EXT4",
    "INST",
    "OBJ",
    "NEWOBJ",
    "NEWOBJ_EX",
    "NEXT_BUFFER",
    "READONLY_BUFFER",
}
_MEMO_OPS = {"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"}
_TEXT_ARGS = {"stringnl", "stringnl_noescape", "stringnl_noescape_pair"}
_KERAS_HINT = (
    "this pickle holds a Keras/TensorFlow object (e.g. a History or a model), not a history dict"
)
_KERAS_TODO = (
    "save the dict instead: pickle.dump(history.history, f), or json.dump(history.history, f)"
)
_KERAS_ROOTS = ("keras", "tensorflow", "tf_keras", "tensorflow_core")
_CODE_TO_OP = {op.code: op for op in pickletools.opcodes}


def _refuse(message: str) -> UnsafeInputError:
    return UnsafeInputError(message, hint=_KERAS_TODO if message == _KERAS_HINT else None)


# ----------------------------------------------------------------------------- stand-ins


class _NdarrayType:
    """Stands for ``numpy.ndarray`` as the first argument of ``_reconstruct``."""


_NDARRAY = _NdarrayType()


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str):
        return value
    raise _refuse(f"expected a string in a numpy record, found {type(value).__name__}")


def _raw(value: object) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, pickle.PickleBuffer):
        return bytes(value.raw())
    raise _refuse(f"expected raw bytes in a numpy record, found {type(value).__name__}")


class _DType:
    """Stand-in for ``numpy.dtype``: only plain numeric dtypes, validated state."""

    def __init__(self, spec: object, align: object = False, copy: object = True) -> None:
        code = _text(spec)
        if code not in _NUMERIC_CODES:
            raise _refuse(f"numpy dtype {code!r} is not allowed (only numeric dtypes)")
        self.code = code
        self.byteorder = "="

    def __setstate__(self, state: object) -> None:
        # numpy writes (3, '<', None, None, None, -1, -1, 0) for plain numeric dtypes.
        if not (isinstance(state, tuple) and len(state) in (8, 9)):
            raise _refuse("malformed numpy dtype state")
        version, order, subarray, names, fields, elsize, alignment, flags = state[:8]
        order = _text(order)
        if (
            version not in (3, 4)
            or order not in ("<", ">", "|", "=")
            or subarray is not None
            or names is not None
            or fields is not None
            or elsize != -1
            or alignment != -1
            or not isinstance(flags, int)
            or flags != 0
        ):
            raise _refuse("malformed numpy dtype state")
        self.byteorder = order

    def resolve(self) -> np.dtype[Any]:
        order = self.byteorder if self.byteorder in "<>" else "="
        return np.dtype(order + np.dtype(self.code).str[1:])


def _check_dtype(dtype: object) -> np.dtype[Any]:
    if isinstance(dtype, _DType):
        return dtype.resolve()
    if isinstance(dtype, str | bytes):
        return _DType(dtype).resolve()
    raise _refuse("numpy record without a valid dtype")


def _scalar(dtype: object, data: object = b"") -> float:
    dt = _check_dtype(dtype)
    raw = _raw(data)
    if len(raw) != dt.itemsize:
        raise _refuse("numpy scalar with the wrong number of bytes")
    return float(np.frombuffer(raw, dtype=dt)[0])


class _Array:
    """Stand-in for an ``ndarray`` being rebuilt by ``_reconstruct`` + BUILD."""

    def __init__(self) -> None:
        self.values: np.ndarray[Any, np.dtype[np.float64]] | None = None

    def __setstate__(self, state: object) -> None:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise _refuse("malformed numpy array state")
        _version, shape, dtype, _fortran, raw = state
        self.values = _array_from(raw, dtype, shape)


def _array_from(raw: object, dtype: object, shape: object) -> np.ndarray[Any, np.dtype[np.float64]]:
    dt = _check_dtype(dtype)
    if not (
        isinstance(shape, tuple)
        and len(shape) <= 1
        and all(isinstance(n, int) and n >= 0 for n in shape)
    ):
        raise _refuse("only 1-D numeric arrays are allowed in a history")
    data = _raw(raw)
    count = shape[0] if shape else 1
    if len(data) != count * dt.itemsize:
        raise _refuse("numpy array with the wrong number of bytes")
    return np.frombuffer(data, dtype=dt).astype(np.float64)


def _reconstruct(subtype: object, shape: object = None, code: object = None) -> _Array:
    if subtype is not _NDARRAY:
        raise _refuse("only plain numpy arrays are allowed in a history")
    return _Array()


def _frombuffer(buf: object, dtype: object, shape: object, order: object = "C") -> Any:
    return _array_from(buf, dtype, shape)


def _encode(obj: object, encoding: object = "latin1") -> bytes:
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise _refuse("_codecs.encode is only allowed for latin-1 text")
    return obj.encode("latin-1")


_ALLOWED: dict[tuple[str, str], Callable[..., Any] | object] = {}
for _core in ("numpy.core", "numpy._core"):
    _ALLOWED[(f"{_core}.multiarray", "scalar")] = _scalar
    _ALLOWED[(f"{_core}.multiarray", "_reconstruct")] = _reconstruct
    _ALLOWED[(f"{_core}.numeric", "_frombuffer")] = _frombuffer
_ALLOWED[("numpy", "dtype")] = _DType
_ALLOWED[("numpy", "ndarray")] = _NDARRAY
_ALLOWED[("_codecs", "encode")] = _encode


def _check_global(module: str, name: str) -> None:
    if (module, name) in _ALLOWED:
        return
    root = module.split(".")[0]
    if root in ("keras", "tensorflow", "tf_keras", "tensorflow_core"):
        raise _refuse(_KERAS_HINT)
    raise _refuse(f"global {module}.{name} is not allowed in a history pickle")


# ----------------------------------------------------------------------------- pre-scan


def _prescan(data: bytes) -> None:
    """Walk the opcodes without executing anything; raise on the first bad one."""
    stream = io.BytesIO(data)
    n_ops = 0
    problem: UnsafeInputError | None = None
    strings: list[str] = []  # the last two string arguments, for STACK_GLOBAL
    while True:
        pos = stream.tell()
        code = stream.read(1)
        if not code:
            raise _refuse("the pickle is truncated (no STOP opcode)")
        op = _CODE_TO_OP.get(code.decode("latin-1"))
        if op is None:
            raise _refuse(f"unknown pickle opcode {code!r} at byte {pos}")
        arg: object = None
        if op.arg is not None:
            try:
                if op.arg.name in _TEXT_ARGS:
                    line = stream.readline()
                    if not line.endswith(b"\n"):
                        raise ValueError("no newline")
                    arg = line[:-1].decode("latin-1")
                    if op.arg.name == "stringnl_noescape_pair":
                        arg = arg + " " + stream.readline().rstrip(b"\n").decode("latin-1")
                else:
                    arg = op.arg.reader(stream)
            except (ValueError, UnicodeDecodeError) as exc:
                raise _refuse(
                    f"the pickle is truncated or corrupt at byte {pos} ({op.name})"
                ) from exc
        n_ops += 1
        if op.name in _FORBIDDEN_OPS and problem is None:
            problem = _refuse(f"pickle opcode {op.name} is not allowed in a history")
        elif op.name in ("GLOBAL", "STACK_GLOBAL"):
            if op.name == "GLOBAL" and isinstance(arg, str):
                module, _, name = arg.partition(" ")
            elif len(strings) == 2 and strings[0].split(".")[0] in _KERAS_ROOTS:
                module, name = strings  # a best guess, used only for the Keras hint
            else:
                module, name = "?", "?"  # built at load time; find_class still checks it
            if module != "?":
                try:
                    _check_global(module, name)
                except UnsafeInputError as exc:
                    if exc.message == _KERAS_HINT or problem is None:
                        problem = exc
        elif op.name in _MEMO_OPS and isinstance(arg, int) and (arg < 0 or arg > len(data)):
            raise _refuse(f"pickle memo index {arg} at byte {pos} is out of range (a memory bomb)")
        if isinstance(arg, str) and "UNICODE" in op.name:
            strings = [*strings[-1:], arg]
        if op.name == "STOP":
            break
    if problem is not None:
        raise problem


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        _check_global(module, name)
        return _ALLOWED[(module, name)]

    def persistent_load(self, pid: object) -> Any:
        raise _refuse("persistent ids are not allowed in a history pickle")


def safe_loads(data: bytes) -> Any:
    """Load a history pickle with only numbers, strings and containers allowed.

    Raises :class:`UnsafeInputError` for anything else; returns dicts, lists,
    tuples, strings, ints, floats and 1-D float64 arrays. Python 2 byte strings
    come back as ``bytes``.
    """
    _prescan(data)
    try:
        obj = _Unpickler(io.BytesIO(data), encoding="bytes").load()
    except UnsafeInputError:
        raise
    except Exception as exc:  # a corrupt stream can fail in many ways inside pickle
        raise _refuse(f"the pickle is corrupt ({type(exc).__name__}: {exc})") from exc
    return _finalize(obj)


def _finalize(obj: Any) -> Any:
    """Swap rebuilt-array stand-ins for their arrays, visiting each container once.

    Shared references are followed once (memo by identity), so a small file that
    describes a huge tree costs what the file costs, not what the tree would.
    """

    def fix(value: Any) -> Any:
        if isinstance(value, _Array):
            if value.values is None:
                raise _refuse("numpy array without data")
            return value.values
        return value

    seen: set[int] = set()
    stack = [obj]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                node[key] = fix(value)
                if isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                node[i] = fix(value)
                if isinstance(value, dict | list):
                    stack.append(value)
    return fix(obj)


def is_array(obj: object) -> bool:
    """True for the rebuilt 1-D arrays that :func:`safe_loads` may return."""
    return isinstance(obj, np.ndarray) or (isinstance(obj, _Array) and obj.values is not None)


def array_values(obj: object) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The float64 values of a rebuilt array."""
    if isinstance(obj, _Array):
        if obj.values is None:
            raise _refuse("numpy array without data")
        return obj.values
    if isinstance(obj, np.ndarray):
        return obj
    raise TypeError(type(obj).__name__)
