"""Tests of helpers.seeding: one independent, reproducible random stream per purpose."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.seeding import PURPOSES, random_streams


def test_streams_are_reproducible():
    a, b = random_streams(42), random_streams(42)
    for purpose in PURPOSES:
        assert np.array_equal(a.generator(purpose).integers(0, 2**31, 50), b.generator(purpose).integers(0, 2**31, 50))
        assert a.integer_seed(purpose) == b.integer_seed(purpose)
        # Asking again gives the same stream from its start.
        assert a.generator(purpose).random() == a.generator(purpose).random()


def test_purposes_do_not_share_draws():
    streams = random_streams(42)
    draws = {p: streams.generator(p).integers(0, 2**31, 20) for p in PURPOSES}
    for i, p in enumerate(PURPOSES):
        for q in PURPOSES[i + 1:]:
            assert not np.array_equal(draws[p], draws[q])
    seeds = [streams.integer_seed(p) for p in PURPOSES]
    assert len(set(seeds)) == len(seeds)
    # No stream replays numpy's plain default_rng(seed), which the first edition shared.
    plain = np.random.default_rng(42).integers(0, 2**31, 20)
    assert not any(np.array_equal(plain, d) for d in draws.values())


def test_seeds_differ_and_integer_seeds_are_32_bit():
    assert random_streams(1).integer_seed("split") != random_streams(2).integer_seed("split")
    assert all(0 <= random_streams(2**32 - 1).integer_seed(p) < 2**32 for p in PURPOSES)


def test_unknown_purpose_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown random-stream purpose 'oracle'"):
        random_streams(0).generator("oracle")


def test_adding_a_purpose_never_changes_the_others():
    # Children are addressed by position: the first edition's four purposes keep their streams.
    streams = random_streams(42)
    for position, purpose in enumerate(PURPOSES):
        expected = np.random.SeedSequence(42, spawn_key=(position,)).generate_state(1, dtype=np.uint32)[0]
        assert streams.integer_seed(purpose) == expected
