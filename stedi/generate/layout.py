"""Where each reading goes in the files: the order of the real deliveries.

In the real files a customer's phone readings come in 8 blocks of about 10 lines, each block
sorted by timestamp, descending. The customer's milliseconds fall in two halves at random;
each reading of a millisecond goes to one of its half's 4 blocks at random (so a block may hold
a millisecond twice). Blocks come in rounds: a batch of consecutive customers (in the order of
the customer file, about 12 of them) lists one block each, customer after customer, and comes
back for its next round a few hundred blocks later; every first-half round of a chunk comes
before every second-half round. The step trainer's lines follow the phone's: one line per
millisecond, where the phone's first reading of that millisecond is.
"""

from __future__ import annotations

import numpy as np

HALVES, BLOCKS_PER_HALF = 2, 4
BATCH_MEAN = 12  # customers a round lists one after another (geometric)
ROUND_LAG = 250  # a batch's next round comes up to this many customers' keys later (even)


def block_positions(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 8): the position in the chunk's sequence of blocks of each customer's blocks,
    first-half blocks 0-3, second-half blocks 4-7."""
    position = np.empty((n, HALVES * BLOCKS_PER_HALF), np.int64)
    if n == 0:
        return position
    keys, sizes, firsts, slots = [], [], [], []
    span = n + BLOCKS_PER_HALF * ROUND_LAG + 1  # keys of one half stay below the next's
    for half in range(HALVES):
        sizes_h = _batches(rng, n)
        first = np.zeros(len(sizes_h), np.int64)
        np.cumsum(sizes_h[:-1], out=first[1:])
        lag = rng.integers(0, ROUND_LAG, len(sizes_h), endpoint=True)
        jitter = rng.random((BLOCKS_PER_HALF, len(sizes_h)))
        for block in range(BLOCKS_PER_HALF):
            keys.append(half * span + first + block * lag + jitter[block])
            sizes.append(sizes_h)
            firsts.append(first)
            slots.append(np.full(len(sizes_h), half * BLOCKS_PER_HALF + block))
    key, size, first, slot = (np.concatenate(x) for x in (keys, sizes, firsts, slots))
    order = np.argsort(key, kind="stable")
    size, first, slot = size[order], first[order], slot[order]
    start = np.zeros(len(size), np.int64)
    np.cumsum(size[:-1], out=start[1:])
    # Every customer of every round: its block's position is the round's start plus its rank.
    rounds = np.repeat(np.arange(len(size)), size)
    rank = np.arange(len(rounds)) - start[rounds]
    position[first[rounds] + rank, slot[rounds]] = start[rounds] + rank
    return position


def _batches(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sizes (>= 1, geometric with mean BATCH_MEAN) of consecutive batches covering n customers."""
    sizes = rng.geometric(1 / BATCH_MEAN, n // BATCH_MEAN * 2 + 8)
    while sizes.sum() < n:
        sizes = np.concatenate([sizes, rng.geometric(1 / BATCH_MEAN, n // BATCH_MEAN + 8)])
    ends = np.cumsum(sizes)
    count = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= ends[count - 1] - n
    return sizes
