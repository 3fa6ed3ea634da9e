"""Expected wall time of a job from measured per-run costs (:data:`RUN_SECONDS` and the other
measured constants) and how it is printed (:func:`format_duration`).

May import: :mod:`helpers.job.options`.
"""

from __future__ import annotations

from typing import Sequence

from helpers.job.options import Job, Step


#: Wall seconds per run on the study's 2-core CPU machine, for the protocol's iteration
#: count, by pair and experiment, then strategy. The MNIST values are the median per-run wall
#: times of the committed paper grid (results/mnist_logreg, protocol version 2, 20 seeds,
#: ``--jobs 2``: two runs in parallel, one BLAS thread each); the digits values are the means
#: of ``./run_all.sh --profile smoke`` on the same machine. ``mnist_logreg_b250``: the
#: medians of its grid (see beside it). ``cifar10_cnn``, ``cifar10_logreg`` and ``mnist_cnn``:
#: the means over their committed seeds (42-49, 42-50 and 42-50; ``--jobs 2``, one BLAS or
#: torch thread per worker, while other work used the machine now and then), so that the
#: pre-training, which falls on whichever runs of a seed start first (then restored from
#: helpers.checkpoints by the others), is spread as in a whole grid. A pair or experiment
#: without a value counts as unknown. A run with another iteration count is scaled in
#: proportion.
RUN_SECONDS: dict[tuple[str, str], dict[str, float]] = {
    ("mnist_logreg", "small"): {"random": 4, "least_confident": 27, "margin": 21, "entropy": 23,
                                "stream_uncertainty": 8},
    ("mnist_logreg", "moderate"): {"random": 30, "least_confident": 43, "margin": 37, "entropy": 39,
                                   "stream_uncertainty": 29},
    ("mnist_logreg", "large"): {"random": 107, "least_confident": 65, "margin": 64, "entropy": 65,
                                "stream_uncertainty": 105},
    ("cifar10_cnn", "small"): {"random": 304.6, "least_confident": 290.6, "margin": 319.9, "entropy": 313.4,
                               "stream_uncertainty": 207.1},
    ("cifar10_cnn", "moderate"): {"random": 252.9, "least_confident": 274.8, "margin": 259.8, "entropy": 269.3,
                                  "stream_uncertainty": 209.3},
    ("cifar10_cnn", "large"): {"random": 279.8, "least_confident": 225.8, "margin": 122.7, "entropy": 121.4,
                               "stream_uncertainty": 108.9},
    # mnist_logreg_b250: medians of its grid (20 seeds), run with --jobs 2 while two other
    # processes shared the two cores (an update-rule ablation and a recomputation): about twice
    # what an idle core takes, so an upper estimate.
    ("mnist_logreg_b250", "small"): {"random": 3.4, "least_confident": 4.5, "margin": 5.3, "entropy": 9.8,
                                     "stream_uncertainty": 10.2},
    ("mnist_logreg_b250", "moderate"): {"random": 16.9, "least_confident": 21.3, "margin": 24.7, "entropy": 24.5,
                                        "stream_uncertainty": 13.5},
    ("mnist_logreg_b250", "large"): {"random": 42.6, "least_confident": 66.1, "margin": 60.7, "entropy": 54.4,
                                     "stream_uncertainty": 39.7},
    # cifar10_logreg and mnist_cnn: means over their committed seeds (see above).
    ("cifar10_logreg", "small"): {"random": 13.4, "least_confident": 15.0, "margin": 13.5, "entropy": 13.9,
                                  "stream_uncertainty": 12.8},
    ("cifar10_logreg", "moderate"): {"random": 26.8, "least_confident": 29.6, "margin": 28.8, "entropy": 28.4,
                                     "stream_uncertainty": 27.5},
    ("cifar10_logreg", "large"): {"random": 77.6, "least_confident": 80.0, "margin": 83.4, "entropy": 82.9,
                                  "stream_uncertainty": 70.2},
    ("mnist_cnn", "small"): {"random": 227.7, "least_confident": 309.5, "margin": 305.9, "entropy": 300.6,
                             "stream_uncertainty": 220.9},
    ("mnist_cnn", "moderate"): {"random": 253.1, "least_confident": 256.1, "margin": 245.8, "entropy": 256.9,
                                "stream_uncertainty": 197.9},
    ("mnist_cnn", "large"): {"random": 361.2, "least_confident": 389.3, "margin": 168.8, "entropy": 165.7,
                             "stream_uncertainty": 127.8},
    **{("digits_logreg", e): dict.fromkeys(("random", "least_confident", "margin", "entropy", "stream_uncertainty"),
                                           0.15) for e in ("small", "moderate", "large")},
    **{("digits_cnn", e): dict.fromkeys(("random", "least_confident", "margin", "entropy", "stream_uncertainty"),
                                        seconds) for e, seconds in (("small", 0.4), ("moderate", 0.6), ("large", 1.6))},
}

#: Seconds of the whole-pool reference fit per seed, same machine and sources; for
#: ``cifar10_cnn``, ``cifar10_logreg`` and ``mnist_cnn`` the mean fit of their committed references,
#: ``mnist_logreg_b250`` being ``mnist_logreg``'s model and data.
REFERENCE_SECONDS: dict[str, float] = {"mnist_logreg": 2.2, "cifar10_cnn": 199.3, "mnist_logreg_b250": 2.2,
                                       "cifar10_logreg": 42.2, "mnist_cnn": 210.5, "digits_logreg": 0.01,
                                       "digits_cnn": 1.4}

#: Seconds each notebook costs beyond its runs: papermill and kernel start, imports, loading
#: the (cached) data, summaries and figures, the HTML copy. Measured on the smoke profile on
#: the same machine (155 s for 7 notebooks, of which 33 s were runs and references).
NOTEBOOK_SECONDS = 18.0

#: Seconds of the figures notebook, which reads every run of the job and draws every figure
#: and paper input: 26.3 s of execution recorded by papermill in the committed
#: results/notebooks/figures.ipynb (paper profile, all 1,725 runs finished), about 1 s to
#: start papermill and its kernel (the 3.5 s between two notebooks of that job, less the HTML
#: copy) and 2.5-2.8 s for its HTML copy (nbconvert timed on that notebook), on the study's
#: 2-core machine. The smoke profile's took 83 s on a machine loaded about 2.2 times over
#: (the same job's whole estimate of 144 s became 320 s), about 37 s when idle.
FIGURES_NOTEBOOK_SECONDS = 30.0


# ------------------------------------------------------------------------------ estimates


def run_seconds(config) -> float | None:
    """Return the expected wall seconds of one run, or None when it was never measured.

    Returns
    -------
    float or None
        From :data:`RUN_SECONDS`, scaled by the run's iteration count.
    """
    per_strategy = RUN_SECONDS.get((config.pair, config.experiment), {})
    base = per_strategy.get(config.strategy)
    if base is None:
        return None
    return base * config.n_iterations / config.spec.n_iterations


def notebook_seconds(step: Step) -> float:
    """Return the expected seconds a notebook costs beyond its runs.

    Returns
    -------
    float
        :data:`FIGURES_NOTEBOOK_SECONDS` for the figures notebook, else
        :data:`NOTEBOOK_SECONDS`.
    """
    return FIGURES_NOTEBOOK_SECONDS if step.template == "figures" else NOTEBOOK_SECONDS


def _parallel(jobs: int, n: int) -> int:
    return max(1, min(jobs, n))


def _step_seconds(step: Step, todo: set[int], jobs: int) -> tuple[float, list]:
    """Return the expected seconds of one step's runs still to do, and those without a cost."""
    runs = [c for c in step.configs if id(c) in todo]
    known = [s for s in map(run_seconds, runs) if s is not None]
    unknown = [c for c in runs if run_seconds(c) is None]
    return sum(known) / _parallel(jobs, len(runs)), unknown


def estimate_seconds(job: Job, todo: Sequence, references_todo: dict[str, int]) -> tuple[float, list]:
    """Estimate the job's wall time from the measured costs.

    Parameters
    ----------
    job : Job
    todo : sequence of ProtocolConfig
        The runs still to do (objects of ``job``'s steps).
    references_todo : dict
        Pair to the number of references still to compute.

    Returns
    -------
    seconds : float
        :func:`notebook_seconds` per notebook, the references and the runs with a measured
        cost (each notebook's runs spread over ``min(job.parallel_runs, runs)`` workers),
        on an otherwise idle machine: other work on its cores stretches every part.
    unknown : list of ProtocolConfig
        Runs without a measured cost, not included.
    """
    todo_ids = {id(c) for c in todo}
    total = sum(map(notebook_seconds, job.steps))
    unknown = []
    for step in job.steps:
        seconds, missing = _step_seconds(step, todo_ids, job.parallel_runs)
        total += seconds
        unknown += missing
    for pair, n in references_todo.items():
        total += REFERENCE_SECONDS.get(pair, 0.0) * n
    return total, unknown


def format_duration(seconds: float) -> str:
    """Return a duration as ``45 s``, ``3 min 05 s`` or ``2 h 07 min``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
