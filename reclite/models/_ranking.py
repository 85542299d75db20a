"""Ranking in blocks: the one loop that turns a model's dense scores into top-k lists.

:class:`~reclite.models.base.Recommender` and the ensembles hand :func:`rank_blocks` a
``block(start, stop)`` callable that scores rows ``start:stop`` and names the items each
row excludes; the loop sizes the blocks (:func:`block_size`, within a memory budget:
:func:`batch_size`), reuses a score buffer from block to block, runs one ranking thread
per numba thread for models that allow it (:func:`one_blas_thread`), and ranks every
block with :func:`reclite.topk.topk_into`. Also here: the candidate mask that every
recommend path restricts to, and the popularity lists of users a model cannot score.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._typing import INDEX_DTYPE, VALUE_DTYPE, FloatArray, IntArray
from .._validation import parse_memory
from ..errors import ParameterError, ParameterTypeError

__all__ = ["DEFAULT_MAX_MEMORY", "BLOCK_BYTES", "batch_size", "block_size", "one_blas_thread", "check_indices",
           "candidate_mask", "n_recommendable", "rank_blocks", "place_rows", "popular_lists"]

DEFAULT_MAX_MEMORY = "1GB"
"""Default budget for the dense score blocks of one batch of users."""

#: ``block(start, stop[, out])`` -> (dense scores of rows ``start:stop``, the items each excludes or None)
Block = Callable[..., tuple[np.ndarray, Any]]


def batch_size(n_items: int, max_memory: int | float | str | None = None, per_item_bytes: int = 8) -> int:
    """Users per batch so a batch's dense blocks fit ``max_memory``.

    A batch holds the float32 scores plus about as much again for the model's own
    temporaries: ``max(1, max_memory // (n_items * 8))`` users. This is the upper
    bound; ranking uses smaller blocks (:func:`block_size`).
    """
    mem = parse_memory(DEFAULT_MAX_MEMORY if max_memory is None else max_memory)
    return max(1, int(mem // (max(n_items, 1) * per_item_bytes)))


BLOCK_BYTES = 16 * 2**20
"""Target size of one block of float32 scores (16 MB).

Ranking scores a block of users and ranks it at once, so a block that fits the
cache is read back from the cache, not from memory; a block is also under glibc's
mmap threshold (32 MB), so a model that allocates a fresh block per batch gets
recently freed heap memory instead of new pages (on a fresh 850 MB block the page
faults cost several times the product itself). Smaller blocks pay per block: BLAS
packs the item factors again for every product. Measured with ALS-sized factors (64)
as the time of ranking every user over the bare product's: 31,360 x 6,807 items,
blocks of 2/4/8/16/32/64 MB: 1.9/1.6/1.4/1.5/1.7/1.9x; 30,000 x 27,000 items:
2.9/2.0/1.5/1.3/1.4/1.6x."""


def block_size(n_items: int, max_memory: int | float | str | None = None, workers: int = 1) -> int:
    """Users per score block: ``BLOCK_BYTES`` of float32 scores, at most the
    ``max_memory`` batch (:func:`batch_size`) shared among ``workers`` ranking threads."""
    per_worker = batch_size(n_items, max_memory) // max(workers, 1)
    return max(1, min(per_worker, BLOCK_BYTES // (max(n_items, 1) * 4)))


@functools.lru_cache(maxsize=1)
def _thread_controller() -> Any:
    """One threadpoolctl controller per process (finding the libraries costs milliseconds)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


_blas_lock = threading.Lock()
_blas_holders = 0
_blas_limiter: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS held to one thread while any ranking in this process needs it (re-entrant and
    thread-safe: the first to enter sets the limit, the last to leave restores it)."""
    global _blas_holders, _blas_limiter
    with _blas_lock:
        if _blas_holders == 0:
            _blas_limiter = _thread_controller().limit(limits=1, user_api="blas")
        _blas_holders += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_holders -= 1
            if _blas_holders == 0:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


# ---------------------------------------------------------------------- candidates
def check_indices(values: Any, n: int, name: str) -> IntArray:
    """Indices in ``[0, n)`` (int array-like, any shape, flattened) as int32."""
    arr = np.asarray(values)
    if arr.size and arr.dtype.kind not in "iu":
        raise ParameterTypeError(f"{name} must hold integer indices, got dtype {arr.dtype}")
    idx = arr.astype(np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ParameterError(f"{name}: index out of range [0, {n}): got {int(idx.min())}..{int(idx.max())}")
    return idx.astype(INDEX_DTYPE)


def candidate_mask(n_items: int, items: Any, exclude: Any) -> np.ndarray | None:
    """Candidate item indices (or a boolean mask) and excluded item indices as one mask;
    None when neither is given."""
    if items is None and exclude is None:
        return None
    mask = np.ones(n_items, dtype=bool)
    if items is not None:
        items = np.asarray(items)
        if items.dtype == bool:
            if items.shape != (n_items,):
                raise ParameterError(f"items: a boolean mask of shape {items.shape}, expected ({n_items},)")
            mask = items.copy()
        else:
            mask[:] = False
            mask[check_indices(items, n_items, "items")] = True
    if exclude is not None:
        mask[check_indices(exclude, n_items, "exclude")] = False
    return mask


def n_recommendable(n_items: int, cand: np.ndarray | None) -> int:
    """How many items a list can hold: every item, or the candidates left."""
    return n_items if cand is None else int(np.count_nonzero(cand))


# ---------------------------------------------------------------------- the loop
def rank_blocks(n: int, n_items: int, k: int, block: Block, cand: np.ndarray | None,
                max_memory: int | str | None, show_progress: bool, *, buffered: bool = False,
                threaded: bool = False, who: str = "model") -> tuple[IntArray, FloatArray]:
    """Top-k of ``n`` rows over ``n_items`` items, scored a block at a time:
    ``block(start, stop)`` gives the block's dense scores and the items excluded per row
    (csr or None).

    Blocks are ``block_size`` rows (cache-sized, within ``max_memory``); results do
    not depend on it. ``buffered``: ``block(start, stop, out)`` writes its scores into
    ``out``, a buffer reused from block to block. ``threaded``: ``block`` may run in
    several threads at once (see ``Recommender._score_threadsafe``): one ranking thread
    per numba thread, each with one BLAS thread, its own buffer and the serial top-k
    kernel. ``who`` names the scorer in the error raised for a block of the wrong shape.

    ``k`` (already checked) is clamped to the items that can be recommended, so
    the output is ``(n, min(k, n_recommendable))`` whatever ``k`` asked for."""
    from ..topk import topk_into

    k = min(int(k), n_recommendable(n_items, cand))
    out_idx = np.empty((n, k), dtype=INDEX_DTYPE)
    out_score = np.empty((n, k), dtype=VALUE_DTYPE)
    if k == 0 or n == 0:  # no candidate left (or no row): nothing to score
        return out_idx, out_score
    if cand is not None:
        cand = np.ascontiguousarray(cand, dtype=bool)
    workers = 1
    if threaded:
        import numba

        workers = max(1, min(numba.get_num_threads(), -(-n // block_size(n_items, max_memory, 1))))
    bs = block_size(n_items, max_memory, workers)
    n_blocks = -(-n // bs)
    workers = min(workers, n_blocks)
    progress = None
    if show_progress and n_blocks > 1:
        from tqdm.auto import tqdm

        progress = tqdm(total=n_blocks, desc="recommend", unit="block")

    def rank(start: int, stop: int, buf: np.ndarray | None, parallel: bool) -> None:
        scores, excl = block(start, stop) if buf is None else block(start, stop, buf[:stop - start])
        scores = np.ascontiguousarray(scores, dtype=VALUE_DTYPE)
        if scores.shape != (stop - start, n_items):
            raise RuntimeError(f"{who}._score returned shape {scores.shape}, expected {(stop - start, n_items)}")
        if excl is not None:
            excl = sp.csr_matrix(excl)
        # a block written into our buffer is scratch: top-k may overwrite it
        topk_into(scores, k, excl, cand, out_idx[start:stop], out_score[start:stop], parallel=parallel,
                  writable=buf is not None and scores.base is buf)

    def new_buffer() -> np.ndarray | None:
        return np.empty((min(bs, n), n_items), dtype=VALUE_DTYPE) if buffered else None

    try:
        if workers == 1:
            buf = new_buffer()
            for start in range(0, n, bs):
                # one block alive at a time: the previous one is freed (or overwritten)
                rank(start, min(start + bs, n), buf, True)
                if progress is not None:
                    progress.update(1)
        else:
            _rank_threads(n, bs, workers, rank, new_buffer, progress)
    finally:
        if progress is not None:
            progress.close()
    return out_idx, out_score


def _rank_threads(n: int, bs: int, workers: int, rank: Any, new_buffer: Any, progress: Any) -> None:
    """Blocks of ``bs`` rows handed out to ``workers`` threads in order, BLAS held to
    one thread meanwhile; the first error stops every thread and is raised."""
    from concurrent.futures import ThreadPoolExecutor

    starts = iter(range(0, n, bs))
    lock = threading.Lock()
    failed = threading.Event()

    def work() -> None:
        buf = new_buffer()
        while not failed.is_set():
            with lock:
                start = next(starts, None)
            if start is None:
                return
            try:
                rank(start, min(start + bs, n), buf, False)
            except BaseException:
                failed.set()
                raise
            if progress is not None:
                with lock:
                    progress.update(1)

    with one_blas_thread(), ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(work) for _ in range(workers)]
        for f in futures:
            f.result()


def place_rows(rows: sp.csr_matrix, at: np.ndarray, n: int) -> sp.csr_matrix:
    """An ``n``-row matrix holding row ``j`` of ``rows`` at row ``at[j]`` (rows placed at one index summed)."""
    place = sp.csr_matrix((np.ones(len(at), dtype=VALUE_DTYPE), (at, np.arange(len(at)))), shape=(n, len(at)))
    return sp.csr_matrix(place @ rows)


def popular_lists(popularity: np.ndarray, k: int, cand: np.ndarray | None, exclude_rows: sp.csr_matrix | None,
                  n: int, max_memory: int | str | None) -> tuple[IntArray, FloatArray]:
    """``n`` lists of the most popular items (the fallback for users a model cannot score):
    one list for all when ``exclude_rows`` is None, else each row without its own
    excluded items (row ``r`` of ``exclude_rows``)."""
    from ..topk import topk

    pop = np.asarray(popularity).astype(VALUE_DTYPE)[None, :]
    if exclude_rows is None:
        i, s = topk(pop, k, candidates=cand)
        return np.broadcast_to(i, (n, i.shape[1])), np.broadcast_to(s, (n, s.shape[1]))

    def block(start: int, stop: int) -> tuple[np.ndarray, sp.csr_matrix]:
        return np.broadcast_to(pop, (stop - start, pop.shape[1])), exclude_rows[start:stop]

    return rank_blocks(n, pop.shape[1], k, block, cand, max_memory, False, who="popularity")
