"""Host-side argument checks shared by every public entry point.

Every check runs on concrete (numpy) values before anything is traced, and raises a
``ValueError``/``TypeError`` whose message names the argument, the offending value and the fix.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import warnings
from collections.abc import Sequence

import jax
import numpy as np


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn, attributed to the caller's first line outside semjax (so the warning points at the
    user's call, however deep in semjax it is raised, and is shown once per calling line)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE)
                                 or frame.f_code.co_filename.startswith("<frozen")
                                 or frame.f_code.co_filename == functools.__file__):
        # warnings.warn itself skips the import machinery's frames: do not count them
        internal = "importlib" in frame.f_code.co_filename and "_bootstrap" in (
            frame.f_code.co_filename)
        frame, level = frame.f_back, level + (not internal)
    warnings.warn(message, category, stacklevel=level + 1)


def describe(value) -> str:
    """A short repr of a value for an error message (an array by its shape and dtype)."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and np.size(value) > 4:
        return f"an array of shape {tuple(np.shape(value))} ({value.dtype})"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def finite_matrix(name: str, value, *, shape: tuple[int | None, int | None] | None = None):
    """Return ``value`` as a float64 numpy matrix, or raise naming ``name``.

    Args:
        name: the argument's name, used in the error message.
        value: anything ``np.asarray`` accepts.
        shape: required ``(rows, cols)``; ``None`` entries are free.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a real matrix; got {describe(value)} ({error}).") from None
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D matrix; got an array of shape {array.shape}. "
            "Pass a (rows, columns) array."
        )
    if 0 in array.shape:
        raise ValueError(f"{name} must be non-empty; got shape {array.shape}.")
    if shape is not None:
        for axis, (want, have) in enumerate(zip(shape, array.shape)):
            if want is not None and want != have:
                raise ValueError(
                    f"{name} must have shape {tuple('*' if s is None else s for s in shape)}; "
                    f"got {array.shape} (axis {axis} is {have}, expected {want})."
                )
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} must be finite; entry {tuple(int(i) for i in bad)} is {array[tuple(bad)]}. "
            "Remove NaN/inf values before building the task."
        )
    return array


def positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int ``>= minimum``, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {describe(value)}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}.")
    return int(value)


def positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float > 0 (or >= 0), or raise naming ``name``."""
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{name} must be a real number; got {describe(value)}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number; got {describe(value)}.") from None
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {number}.")
    return number


def probability(name: str, value) -> float:
    """Return ``value`` as a float in [0, 1], or raise naming ``name``."""
    number = positive_float(name, value, allow_zero=True)
    if number > 1:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {number}.")
    return number


def prng_key(name: str, value) -> jax.Array:
    """Return ``value`` as one typed JAX PRNG key, or raise naming ``name``.

    Accepts a new-style key (``jax.random.key``) or a legacy raw uint32 key
    (``jax.random.PRNGKey``); both draw the same numbers.
    """
    if isinstance(value, jax.Array) and jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key):
        key = value
    elif isinstance(value, jax.Array) and value.dtype == np.uint32:
        try:
            key = jax.random.wrap_key_data(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a JAX PRNG key; got uint32 data of shape {value.shape}. "
                "Use jax.random.key(seed) or jax.random.PRNGKey(seed)."
            ) from None
    else:
        raise TypeError(
            f"{name} must be a JAX PRNG key, e.g. jax.random.key(0); got {describe(value)}."
        )
    if key.shape != ():
        raise ValueError(f"{name} must be a single key; got a batch of keys of shape {key.shape}. "
                         "Pass one key, e.g. keys[0].")
    return key


def names(name: str, value, length: int, default_prefix: str) -> tuple[str, ...]:
    """Return ``length`` names as a tuple of str, defaulting to ``prefix0, prefix1, ...``."""
    if value is None:
        return tuple(f"{default_prefix}{i}" for i in range(length))
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a sequence of {length} strings; got {describe(value)}.")
    result = tuple(str(v) for v in value)
    if len(result) != length:
        raise ValueError(
            f"{name} must have {length} entries (one per row/column); got {len(result)}.")
    return result


def choice(name: str, value, options: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``options``, or raise listing them."""
    if value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, options))}; got {describe(value)}.")
    return value
