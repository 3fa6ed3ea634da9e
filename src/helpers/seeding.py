"""Every random stream of a run, derived from its seed in one place.

A run's seed is expanded with :class:`numpy.random.SeedSequence` into independent child
sequences, one per purpose. Two purposes therefore never share draws (the first random
query no longer replays the split's first draws), and adding a purpose later does not
change the others, because each child is addressed by its fixed position in
:data:`PURPOSES`.

==============  ==============================================================  ================
purpose         what it drives                                                  shared by
==============  ==============================================================  ================
``split``       the stratified validation hold-out                             all strategies
``initial``     the initial labelled set and the order of the unlabelled pool  all strategies
``model``       model initialisation and training batches (torch, numpy,      all strategies
                Python ``random``)
``strategy``    the strategy's own draws: random queries, the stream's         one strategy
                arrival order
``subset``      the pool subset scored per query (``pool_subset``)             one strategy
``train_eval``  the labelled rows of the ``train_eval_size`` sample            one strategy
==============  ==============================================================  ================

The first three depend on the seed only, so for one seed every strategy starts from the
same split, the same initial set and the same initial weights: the comparison between
strategies is paired by seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The purposes of the random streams, in the order their SeedSequence children are spawned.
PURPOSES = ("split", "initial", "model", "strategy", "subset", "train_eval")


@dataclass(frozen=True)
class RandomStreams:
    """The independent seed sequences of one run.

    Attributes
    ----------
    seed : int
        The run's seed.
    sequences : dict of str to numpy.random.SeedSequence
        One child sequence per purpose of :data:`PURPOSES`.
    """

    seed: int
    sequences: dict

    def generator(self, purpose: str) -> np.random.Generator:
        """Return a fresh generator of ``purpose``'s stream (the same draws on every call)."""
        return np.random.default_rng(self._sequence(purpose))

    def integer_seed(self, purpose: str) -> int:
        """Return a 32-bit integer seed of ``purpose``'s stream, for APIs that take an int.

        Returns
        -------
        int
            In ``[0, 2**32)``; the same on every call.
        """
        return int(self._sequence(purpose).generate_state(1, dtype=np.uint32)[0])

    def _sequence(self, purpose: str) -> np.random.SeedSequence:
        try:
            return self.sequences[purpose]
        except KeyError:
            raise ValueError(f"unknown random-stream purpose {purpose!r}; choose one of: {', '.join(PURPOSES)}") from None


def random_streams(seed: int) -> RandomStreams:
    """Return the independent random streams of a run with ``seed``.

    Returns
    -------
    RandomStreams
        One :class:`numpy.random.SeedSequence` child per purpose of :data:`PURPOSES`.
    """
    children = np.random.SeedSequence(int(seed)).spawn(len(PURPOSES))
    return RandomStreams(int(seed), dict(zip(PURPOSES, children)))
