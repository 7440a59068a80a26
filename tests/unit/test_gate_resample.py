"""What a bootstrap seed means: exactly uniform draws, fixed by (n, n_resamples, seed), and their counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from shipml.gate import resample
from shipml.gate.resample import Buffers, chunk_draws, counts_of, resample_counts, resample_indices


def _draws(n: int, size: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """``size`` draws from [0, n) and how many raw 32-bit words they consumed."""
    bitgen = np.random.PCG64(seed)
    idx = np.empty(size, dtype=np.int64)
    resample._fill_uniform(bitgen, n, idx, np.empty(size, dtype=np.uint32))
    consumed = np.random.PCG64(seed)
    words = 0
    while not np.array_equal(consumed.state["state"], bitgen.state["state"]):
        consumed.random_raw()
        words += 2
    return idx, words


def test_draws_are_exactly_lemires_multiply_shift_with_rejection() -> None:
    """A scalar replay of the method on the same 32-bit words gives the same indices."""
    n, size = (1 << 31) + 1, 4001  # 2**32 % n is almost n: about half the words are rejected
    idx, _ = _draws(n, size, seed=3)
    words = np.random.PCG64(3).random_raw(40_000).view(np.uint32).tolist()
    threshold = (1 << 32) % n
    first = words[:size]
    expected = [(x * n) >> 32 for x in first]
    rejected = [i for i, x in enumerate(first) if (x * n) & 0xFFFFFFFF < threshold]
    assert len(rejected) > size // 3  # the redraw loop really ran, several rounds
    pos = size + (size % 2)  # a batch takes whole 64-bit words: an odd batch drops its last half
    while rejected:
        batch = words[pos : pos + len(rejected)]
        pos += len(rejected) + (len(rejected) % 2)
        still = []
        for i, x in zip(rejected, batch, strict=True):
            if (x * n) & 0xFFFFFFFF >= threshold:
                expected[i] = (x * n) >> 32
            else:
                still.append(i)
        rejected = still
    assert idx.tolist() == expected


@pytest.mark.parametrize("n", [1, 2, 3, 7, 1000, 100_003, (1 << 31) + 1])
def test_draws_stay_in_range_and_are_uniform(n: int) -> None:
    idx, _ = _draws(n, 60_000, seed=n % 97)
    assert idx.min() >= 0 and idx.max() < n
    buckets = np.bincount((idx * min(n, 16)) // n, minlength=min(n, 16))  # equal-width buckets
    if n > 1:
        assert sps.chisquare(buckets).pvalue > 1e-4


def test_power_of_two_rows_reject_nothing() -> None:
    idx, words = _draws(1 << 16, 1000)
    assert words == 1000 and idx.max() < 1 << 16


def test_resamples_depend_only_on_rows_resamples_and_seed() -> None:
    n = 30_000  # row-wise counting, several blocks per chunk
    first = [chunk.copy() for chunk in resample_indices(n, 90, seed=1)]
    again = list(resample_indices(n, 90, seed=1))
    assert [c.shape for c in first] == [(69, n), (21, n)]
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0], next(resample_indices(n, 90, seed=2)))
    # a chunk is the same whichever buffers draw it
    blocks = np.concatenate([b.copy() for b in chunk_draws(n, 69, 1, 0, Buffers(n))])
    np.testing.assert_array_equal(blocks, first[0])


@pytest.mark.parametrize("n", [300, 20_000])  # the flat and the row-wise counting
def test_counts_are_the_multiplicities_of_the_draws(n: int) -> None:
    for idx, counts in zip(resample_indices(n, 50, seed=4), resample_counts(n, 50, seed=4), strict=True):
        assert counts.dtype == np.uint8
        np.testing.assert_array_equal(counts, np.stack([np.bincount(row, minlength=n) for row in idx]))
    out = np.full((Buffers(n).counts.shape), 9, dtype=np.uint8)  # a reused buffer starts dirty
    idx = next(resample_indices(n, 3, seed=4))
    np.testing.assert_array_equal(counts_of(idx, n, out), next(resample_counts(n, 3, seed=4)))
