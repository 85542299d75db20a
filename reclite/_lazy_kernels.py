"""numba kernels compiled on first use, not at import.

Starting numba (importing it, loading its compiler) costs about half a second, more than
a small job spends in the kernels; a process that never needs them (``reclite
recommend`` on a small model, ``reclite --help``) should not pay it. A module marks its
kernels with :meth:`LazyKernels.kernel` and calls :meth:`LazyKernels.compile` before
calling one; only then is numba imported and each marked function replaced, in the
module's namespace, by its ``numba.njit(**options)`` dispatcher (loaded from numba's
on-disk cache when ``cache=True``). The module defines ``prange = range`` and its kernels
call ``prange``: :meth:`compile` rebinds it to ``numba.prange`` first, since numba reads
a kernel's globals when it compiles it.

Used by :mod:`reclite.topk` and :mod:`reclite.models._sparse`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["LazyKernels"]


class LazyKernels:
    """The marked numba kernels of one module (``space``: the module's ``globals()``)."""

    def __init__(self, space: dict[str, Any]) -> None:
        self._space = space
        self._options: dict[str, dict[str, Any]] = {}
        self.compiled = False
        self.lock = threading.Lock()

    def kernel(self, **options: Any) -> Callable[[Any], Any]:
        """Mark a function as a numba kernel (``numba.njit(**options)``, applied by :meth:`compile`)."""
        def mark(func: Any) -> Any:
            self._options[func.__name__] = options
            return func
        return mark

    def compile(self) -> None:
        """Replace every marked function by its numba dispatcher (once; thread-safe)."""
        if self.compiled:
            return
        with self.lock:
            if self.compiled:
                return
            import numba

            self._space["prange"] = numba.prange
            for name, options in self._options.items():
                self._space[name] = numba.njit(**options)(self._space[name])
            self.compiled = True
