"""`DrawBlock`: a chunk's pre-drawn numbers, drawn a position at a time as they are needed.

A contact's numbers must not depend on how far the block has been drawn, nor on whether
it is read whole (one-at-a-time play) or a few positions at a time (batch play)."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox.engine.streams import DrawBlock


@pytest.mark.parametrize("normal", [True, False])
def test_numbers_do_not_depend_on_how_far_the_block_is_drawn(normal: bool) -> None:
    whole = DrawBlock(7, 50, 12, normal=normal)
    full = np.array([whole.column(i) for i in range(50)])
    assert full.shape == (50, 12)

    piecemeal = DrawBlock(7, 50, 12, normal=normal)
    pos = np.zeros(50, dtype=np.intp)
    read = np.full((50, 12), np.nan)
    rng = np.random.default_rng(0)
    while (pos < 12).any():  # random contacts read 1..3 numbers at a time, as batch play does
        k = int(rng.integers(1, 4))
        who = np.flatnonzero(pos + k <= 12)
        if not len(who):
            k = 1
            who = np.flatnonzero(pos < 12)
        who = who[rng.random(len(who)) < 0.5] if len(who) > 1 else who
        got = piecemeal.take(who, pos[who], k)
        for j, i in enumerate(who.tolist()):
            read[i, pos[i] : pos[i] + k] = got[j]
        pos[who] += k
    np.testing.assert_array_equal(read, full)


def test_a_block_draws_only_what_is_read_and_differs_by_seed() -> None:
    block = DrawBlock(3, 1000, 30, normal=True)
    first = block.take(np.arange(1000), np.zeros(1000, dtype=np.intp), 2)
    assert len(block.rows) < 30  # the other positions were never drawn
    assert block.take(np.array([], dtype=np.intp), np.array([], dtype=np.intp), 2).shape == (0, 2)
    other = DrawBlock(4, 1000, 30, normal=True).take(
        np.arange(1000), np.zeros(1000, dtype=np.intp), 2
    )
    assert not np.array_equal(first, other)
    assert abs(first.mean()) < 0.1 and 0.9 < first.std() < 1.1
    uniform = DrawBlock(3, 1000, 4, normal=False).column(5)
    assert len(uniform) == 4 and all(0.0 <= u < 1.0 for u in uniform)
