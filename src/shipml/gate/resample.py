"""Bootstrap resamples: which rows each resample draws, and how often.

What a seed means is fixed here, once, for the gate and for anyone replaying
its resamples (the benchmark's and the tests' scikit-learn loops). A resample
is ``n`` row indices drawn uniformly with replacement. The resamples of
``(n, n_resamples)`` are split into chunks of a fixed size; chunk ``k`` draws
from PCG64 seeded with the child ``SeedSequence(seed, spawn_key=(k,))``, so
chunks can be drawn on any core in any order and the resamples still depend
only on ``(n, n_resamples, seed)``.

Each index takes 32 random bits, mapped onto ``[0, n)`` by Lemire's
multiply-shift with rejection, which is exactly uniform. It is done in whole
arrays rather than by NumPy's ``Generator.integers``, whose per-element loop
cost twice as much and was the largest single part of a 100k-row bootstrap.

Work happens in blocks of about :data:`_BLOCK_ELEMENTS` cells, in buffers that
each worker allocates once: a whole chunk's temporaries would be fresh pages
from the OS on every call (page faults cost more than the arithmetic here) and
would miss the core's cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

IndexArray = NDArray[np.int64]
CountArray = NDArray[np.integer[Any]]

_CHUNK_ELEMENTS = 1 << 21
"""Resamples per chunk: about this many cells (each chunk is one random stream)."""
_BLOCK_ELEMENTS = 1 << 18
"""Resamples per block: about this many cells (a block's buffers stay in L2)."""
_ROW_WISE_ABOVE = 16_384
"""Longer rows are counted one resample at a time; shorter ones in one flat pass."""
UINT32_VALUES = 1 << 32
"""Values a uint32 holds: the 32-bit words draws are made of; the bound a uint32 sum stays under."""
_U8_MAX = 0xFF
_ONE = np.uint8(1)  # the target's dtype keeps ufunc.at on its fast unbuffered loop


def chunk_sizes(n: int, n_resamples: int) -> list[int]:
    """Resamples per chunk: a fixed split that depends only on ``(n, n_resamples)``."""
    per_chunk = max(1, _CHUNK_ELEMENTS // max(n, 1))
    full, rest = divmod(n_resamples, per_chunk)
    return [per_chunk] * full + ([rest] if rest else [])


def _per_block(n: int) -> int:
    return max(1, _BLOCK_ELEMENTS // max(n, 1))


class Buffers:
    """Scratch memory for blocks of ``n``-row resamples, reused block after block."""

    def __init__(self, n: int) -> None:
        rows = _per_block(n)
        self.idx = np.empty(rows * n, dtype=np.int64)
        self.low = np.empty(rows * n, dtype=np.uint32)
        self.counts = np.empty((rows, n), dtype=np.uint8)


def _fill_uniform(bitgen: np.random.BitGenerator, n: int, idx: IndexArray, low: NDArray[np.uint32]) -> None:
    """``idx`` := uniform draws from ``[0, n)``: the top word of ``x * n`` for 32 random bits ``x``.

    Lemire (2019): the result is exactly uniform once the ``x`` whose low word
    falls under ``2**32 % n`` are rejected and drawn again (about ``n / 2**32``
    of them, so the redraw loop rarely runs).
    """
    size = idx.size
    if size == 0:
        return
    if n > UINT32_VALUES:  # more rows than 32 bits can index: NumPy's 64-bit bounded draws
        idx[:] = np.random.Generator(bitgen).integers(0, n, size=size, dtype=np.int64)
        return
    x = bitgen.random_raw((size + 1) // 2).view(np.uint32)[:size]
    wide = idx.view(np.uint64)
    np.multiply(x, np.uint64(n), out=wide, dtype=np.uint64)
    np.right_shift(wide, np.uint64(32), out=wide)
    threshold = UINT32_VALUES % n
    if threshold == 0:  # n is a power of two: no value is biased
        return
    np.multiply(x, np.uint32(n), out=low[:size], dtype=np.uint32)  # the low word, wrapping
    rejected = np.flatnonzero(low[:size] < threshold)
    while rejected.size:
        again = bitgen.random_raw((rejected.size + 1) // 2).view(np.uint32)[: rejected.size]
        product = again.astype(np.uint64) * np.uint64(n)
        kept = (product & np.uint64(0xFFFFFFFF)) >= threshold
        idx[rejected[kept]] = (product[kept] >> np.uint64(32)).view(np.int64)
        rejected = rejected[~kept]


def chunk_draws(n: int, m: int, seed: int, chunk: int, buffers: Buffers) -> Iterator[IndexArray]:
    """Chunk ``chunk``'s ``m`` resamples, ``(block, n)`` row indices at a time.

    Each block is a view of ``buffers`` that the next block overwrites. Blocks
    are consecutive batches from the chunk's one stream (a batch's redraws
    follow it), and the block size depends only on ``n``.
    """
    bitgen = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    per_block = _per_block(n)
    for start in range(0, m, per_block):
        rows = min(per_block, m - start)
        idx = buffers.idx[: rows * n]
        _fill_uniform(bitgen, n, idx, buffers.low)
        yield idx.reshape(rows, n)


def counts_of(idx: IndexArray, n: int, out: NDArray[np.uint8] | None = None) -> CountArray:
    """Row multiplicities of a block of resamples, as uint8 unless a row was drawn over 255 times.

    Small counts keep the gathers of the ranking metrics inside the CPU cache.
    ``ufunc.at`` counts in place, with no ``n``-sized int64 temporary (which is
    what ``bincount`` would allocate, and fault in, per resample). A uint8 row
    that wrapped around no longer sums to ``n``, which is cheaper to check than
    the maximum of wide counts.
    """
    rows = idx.shape[0]
    if out is None:
        counts = np.zeros((rows, n), dtype=np.uint8)
    else:
        counts = out[:rows]
        counts.fill(0)
    if n > _ROW_WISE_ABOVE:
        for i in range(rows):
            np.add.at(counts[i], idx[i], _ONE)
    else:  # many short rows: one flat pass beats a Python loop over them
        np.add.at(counts.reshape(-1), (idx + (np.arange(rows, dtype=np.int64) * n)[:, None]).ravel(), _ONE)
    total = np.uint32 if _U8_MAX * n < UINT32_VALUES else np.int64  # a uint32 sum is twice as fast
    if np.any(counts.sum(axis=1, dtype=total) != n):  # a count wrapped around
        return _narrowest(np.stack([np.bincount(row, minlength=n) for row in idx]))
    return counts


def _narrowest(counts: CountArray) -> CountArray:
    top = int(counts.max(initial=0))
    return counts.astype(np.uint8 if top <= 0xFF else np.uint16) if top <= 0xFFFF else counts


def resample_indices(n: int, n_resamples: int, seed: int) -> Iterator[IndexArray]:
    """Row indices of the bootstrap resamples, ``(chunk, n)`` at a time, to replay them elsewhere."""
    buffers = Buffers(n)
    for k, m in enumerate(chunk_sizes(n, n_resamples)):
        yield np.concatenate([block.copy() for block in chunk_draws(n, m, seed, k, buffers)])


def resample_counts(n: int, n_resamples: int, seed: int) -> Iterator[CountArray]:
    """The resamples of :func:`resample_indices` as row multiplicities (see :func:`counts_of`)."""
    for idx in resample_indices(n, n_resamples, seed):
        yield counts_of(idx, n)
