"""The protocol configuration: one object, validated once, carried everywhere.

A :class:`ProtocolConfig` names one active-learning run (pair x experiment x strategy x
seed) and everything needed to repeat it. Constructing it validates every field and fills
the pair's defaults, so code that receives a config never re-checks it.

Model-dataset pairs
-------------------
``mnist_logreg``   multinomial logistic regression on MNIST (the study's shallow model)
``cifar10_cnn``    the study's small CNN on CIFAR-10, wrapped by skorch
``digits_logreg``  the same logistic regression on scikit-learn's 8x8 digits (smoke runs)
``digits_cnn``     a narrow version of the CNN on the 8x8 digits (smoke runs on a CPU)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

#: Version of what a run computes. Bump it whenever a change to the engine alters the rows or
#: the queried instances of a run with an unchanged configuration; finished runs written by
#: another version are stale, and the grid recomputes them (runs written before versioning
#: existed count as version 1).
#:
#: 1  the first edition (stream redrawn from the remaining pool every query, shared seeds).
#: 2  one-pass budgeted stream (variable uncertainty), independent random streams per purpose
#:    (helpers.seeding), thread count pinned inside each run, n_queried and cold-refit columns.
PROTOCOL_VERSION = 2

#: Fraction of the official training set held out as validation data.
VALIDATION_FRACTION = 0.2

#: Initial labelled set per experiment: an int is "samples per class", a float a pool fraction.
EXPERIMENTS: dict[str, int | float] = {
    "small": 1,  # one random sample per class
    "moderate": 0.15,
    "large": 0.80,
}

#: Update rules of the logistic regression after a query (see models.FineTunedLogisticRegression).
FINETUNE_MODES = ("fixed", "converge", "cold")

#: Logistic regression as the study specifies, plus the fine-tuning budget (see models.py).
LOGREG_PARAMS: dict[str, Any] = {
    "C": 0.01,
    "max_iter": 500,
    "tol": 1e-3,
    # Three L-BFGS iterations per query, chosen on the validation hold-out by
    # benchmarks/pilot_finetune.py (MNIST, all three experiments, random and margin, seeds 42
    # and 43, 250 queries; table in results/pilots/mnist_logreg_finetune/summary.csv): the
    # validation AULC of 3 iterations is within 0.0006 of the best of 2, 3, 5, 10 and 30 in
    # every experiment (small 0.8108, best; moderate 0.8974 vs 0.8977 at 5; large 0.9132,
    # tied with 2), while the fine-tuning time grows with the budget (large: 0.34, 0.60,
    # 0.81 and 1.26 s per query at 2, 3, 5 and 10, on a loaded machine).
    "finetune_max_iter": 3,
    # The update rule after a query: "fixed" (finetune_max_iter iterations from the current
    # weights, the study's rule), "converge" (from the current weights to finetune_tol) or
    # "cold" (re-trained from scratch); the last two are the fine-tuning ablation.
    "finetune": "fixed",
    "finetune_tol": 1e-6,
}

#: The study's CNN. The layer shape is the study's; widths, kernel, padding and the budgets
#: are this project's choice, made on the validation hold-out and on the cost of a run on one
#: CPU core (see models.py and benchmarks/README.md).
CNN_PARAMS: dict[str, Any] = {
    # Widths l1/l2/l4/l5 = 16/32/128/64 with 3x3 kernels and no padding, chosen by
    # benchmarks/pilot_cnn_widths.py on the validation split (whole 40,000-image pool of
    # seed 42, Adam 1e-3, batch 128, accuracy after 10 epochs) and by its cost on one core
    # (images/s of 30-step training and of inference, timed side by side):
    #   8/16/64/32               62.3 %   5,700 / 20,200
    #   8/16/64/32, padding 1    61.6 %   4,600 / 17,400
    #   12/24/96/48              65.5 %   3,400 / 13,400
    #   16/32/128/64             66.4 %   2,600 / 10,500
    #   32/64/256/128, padding 1   -        690 /  3,100  (the first edition's; not trained)
    # 16/32/128/64 is the most accurate setting whose grid fits the two-hour CPU budget;
    # the table is results/pilots/cifar10_cnn_widths/summary.csv.
    "l1_channels": 16,
    "l2_channels": 32,
    "l4_input": 128,
    "l5_input": 64,
    "dropout": 0.25,
    "lr": 1e-3,
    "batch_size": 128,
    # Epochs of pre-training on the initial labelled set, and of the whole-pool reference.
    "pretrain_epochs": 10,
    # Used only when finetune_steps is None (the first edition's rule: 2 epochs per query).
    "finetune_epochs": 2,
    # Inference slices: 1,024 images is as fast as 4,096 on one core (6,600 vs 6,300
    # images/s) and holds a quarter of the activations.
    "predict_batch_size": 1024,
    "kernel_size": 3,
    "padding": 0,
    # Channels-last convolutions: 1.7-1.8x faster inference on one core (measured).
    "channels_last": True,
    # Fine-tuning after a query: this many Adam steps on batches of 128 drawn from the
    # labelled set. Chosen by benchmarks/pilot_cnn_protocol.py (seed 42, random and margin,
    # validation AULC): small 45.3 / 49.8 / 49.3 % at 10 / 30 / 100 steps, moderate 56.2 /
    # 57.8 % at 10 / 30 (100 steps cost 5.0 s per query against 1.6 s at 30 and lost in
    # small, so moderate was not run with them). Two epochs per query (the first edition's
    # rule) would take 500 steps per query in large.
    "finetune_steps": 30,
}


@dataclass(frozen=True)
class PairSpec:
    """A model-dataset pair and its protocol defaults.

    Attributes
    ----------
    name : str
        Registry key, also the first level of the results layout.
    dataset : str
        Name understood by :func:`helpers.data.load_dataset`.
    model : str
        ``"logreg"`` or ``"cnn"``.
    query_size : int
        Labels acquired per iteration.
    n_iterations : int
        Number of query iterations.
    model_params : dict
        Model hyper-parameters (see :mod:`helpers.models`).
    smoke : bool
        True for the tiny offline pairs used by tests and the smoke profile.
    pool_subset, train_eval_size : int, optional
        The pair's defaults of the :class:`ProtocolConfig` fields of the same names (None:
        the whole unlabelled pool is scored; the whole labelled set is evaluated).
    seeds : tuple of int
        The seeds the study runs for this pair (the paper profile of ``run_all.sh`` and the
        default of ``python -m helpers.grid``).
    """

    name: str
    dataset: str
    model: str
    query_size: int
    n_iterations: int
    model_params: Mapping[str, Any]
    smoke: bool = False
    pool_subset: int | None = None
    train_eval_size: int | None = None
    seeds: tuple[int, ...] = (42, 43, 44, 45, 46)


PAIRS: dict[str, PairSpec] = {
    # MNIST runs cost seconds, so the pair gets 20 seeds: enough for paired Wilcoxon tests
    # to reach significance after Holm correction (5 seeds never can).
    "mnist_logreg": PairSpec("mnist_logreg", "mnist", "logreg", 5, 250, LOGREG_PARAMS, seeds=tuple(range(42, 62))),
    # The CNN's pool strategies score a random 10,000-image subset of the unlabelled pool
    # per query, and its labelled-set accuracy is measured on a random 2,000-image sample
    # (binomial standard error at most 1.1 points); see benchmarks/pilot_cnn_protocol.py.
    "cifar10_cnn": PairSpec("cifar10_cnn", "cifar10", "cnn", 250, 50, CNN_PARAMS, pool_subset=10_000,
                            train_eval_size=2_000, seeds=tuple(range(42, 52))),
    # The crossed design: model x data at the CNN's query schedule (250 labels x 50 queries, a
    # 10,000-image pool subset scored per query, labelled-set accuracy on a 2,000 sample), so
    # that a difference between the models is not a difference of data, batch size, budget or
    # selection extremeness; mnist_logreg vs mnist_logreg_b250 isolates the schedule. Same
    # model parameters as the study's pairs. Logistic regression reads the flattened pixels in
    # [0, 1] (3,072 for CIFAR-10); the CNN reads 1x28x28 MNIST images normalised with pool
    # statistics (helpers.loop.model_inputs). CNN cells get 10 seeds, so a Holm-corrected exact
    # test over four strategies can reach p < 0.01; logistic-regression cells 20.
    "mnist_logreg_b250": PairSpec("mnist_logreg_b250", "mnist", "logreg", 250, 50, LOGREG_PARAMS,
                                  pool_subset=10_000, train_eval_size=2_000, seeds=tuple(range(42, 62))),
    "cifar10_logreg": PairSpec("cifar10_logreg", "cifar10", "logreg", 250, 50, LOGREG_PARAMS,
                               pool_subset=10_000, train_eval_size=2_000, seeds=tuple(range(42, 62))),
    "mnist_cnn": PairSpec("mnist_cnn", "mnist", "cnn", 250, 50, CNN_PARAMS, pool_subset=10_000,
                          train_eval_size=2_000, seeds=tuple(range(42, 52))),
    "digits_logreg": PairSpec("digits_logreg", "digits", "logreg", 5, 20, LOGREG_PARAMS, smoke=True, seeds=(42, 43)),
    "digits_cnn": PairSpec(
        "digits_cnn",
        "digits",
        "cnn",
        20,
        5,
        {
            **CNN_PARAMS,
            "l1_channels": 8,
            "l2_channels": 16,
            "l4_input": 64,
            "l5_input": 32,
            "batch_size": 64,
            "pretrain_epochs": 10,
            "finetune_epochs": 2,
            "padding": 1,  # two unpadded 3x3 convolutions would leave 4x4 of an 8x8 digit
        },
        smoke=True,
        seeds=(42, 43),
    ),
}

DEVICES = ("auto", "cpu", "cuda")

#: Where a run is evaluated: the official test set, or the validation hold-out (pilots).
EVALUATIONS = ("test", "validation")

#: Seeds lie in [0, MAX_SEED): numpy, scikit-learn and torch all accept 32-bit seeds.
MAX_SEED = 2**32


class ConfigError(ValueError):
    """A configuration value that cannot describe a valid run."""


def _choice(value: str, options, what: str) -> str:
    if value not in options:
        raise ConfigError(f"unknown {what} {value!r}; choose one of: {', '.join(options)}")
    return value


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class ProtocolConfig:
    """One active-learning run, validated on construction.

    Parameters
    ----------
    pair : str
        A key of :data:`PAIRS`.
    experiment : str
        A key of :data:`EXPERIMENTS` (initial labelled-set size).
    strategy : str
        A query strategy name of :data:`helpers.strategies.STRATEGIES`.
    seed : int
        Seeds the split, the initial set, the models and the strategies.
    query_size, n_iterations : int, optional
        Labels per iteration and number of iterations; default to the pair's.
    stream_threshold : float
        Fixed uncertainty threshold (``1 - max_y P(y|x)``, in [0, 1]) of the
        ``stream_redraw`` ablation; the study's one-pass stream adapts its own threshold
        (see :mod:`helpers.stream`) and ignores it.
    initial_size : int or float, optional
        Overrides the experiment's initial labelled-set size: an int is a number of samples,
        a float in (0, 1) a fraction of the pool.
    model_params : dict
        Overrides of the pair's model hyper-parameters (unknown keys are rejected).
    data_root, results_dir : str, optional
        Dataset root and results root; ``None`` means :mod:`helpers.paths` decides.
    device : str
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``; used by the CNN.
    evaluation : str
        ``"test"`` (the study's results: the official test set) or ``"validation"`` (the
        seed's 20 % hold-out; used by the pilots that choose protocol settings, so that no
        choice ever looks at test accuracy).
    pool_subset : int, None or "auto"
        Pool strategies score a seeded random subset of this many unlabelled instances per
        query instead of the whole pool (deep active-learning practice, e.g. Beluch et al.
        2018, Yoo and Kweon 2019); None scores the whole pool; ``"auto"`` (default) takes
        the pair's value (:attr:`PairSpec.pool_subset`). The one-pass stream is not
        affected (it scores only its arrivals).
    train_eval_size : int, None or "auto"
        Labelled-set accuracy (``train_accuracy``) on a seeded random sample of this many
        labelled instances per evaluation; None uses the whole labelled set; ``"auto"``
        (default) takes the pair's value.
    n_threads : int
        BLAS and torch threads of the run, pinned inside it whatever the process was
        started with. Floating-point sums depend on how work is split over threads, so a
        run's numbers (and the instances it queries) are identical only at one thread
        count; the default 1 makes ``--jobs 1`` and ``--jobs 2`` give the same results.
    """

    pair: str
    experiment: str
    strategy: str
    seed: int = 42
    query_size: int | None = None
    n_iterations: int | None = None
    stream_threshold: float = 0.5
    initial_size: int | float | None = None
    model_params: Mapping[str, Any] = field(default_factory=dict)
    data_root: str | None = None
    results_dir: str | None = None
    device: str = "auto"
    evaluation: str = "test"
    pool_subset: int | str | None = "auto"
    train_eval_size: int | str | None = "auto"
    n_threads: int = 1

    def __post_init__(self):
        # Imported here: strategies imports modAL, and config must stay cheap to import.
        from helpers.strategies import STRATEGIES

        spec = PAIRS.get(_choice(self.pair, PAIRS, "pair"))
        _choice(self.experiment, EXPERIMENTS, "experiment")
        _choice(self.strategy, STRATEGIES, "strategy")
        _choice(self.device, DEVICES, "device")
        _choice(self.evaluation, EVALUATIONS, "evaluation")
        if (isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral)
                or not 0 <= self.seed < MAX_SEED):
            raise ConfigError(f"seed must be an integer in [0, 2**32), got {self.seed!r}")
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        set_("seed", int(self.seed))
        set_("query_size", _positive_int(spec.query_size if self.query_size is None else self.query_size, "query_size"))
        set_(
            "n_iterations",
            _positive_int(spec.n_iterations if self.n_iterations is None else self.n_iterations, "n_iterations"),
        )
        set_("n_threads", _positive_int(self.n_threads, "n_threads"))
        for name in ("pool_subset", "train_eval_size"):
            if isinstance(getattr(self, name), str) and getattr(self, name) == "auto":
                set_(name, getattr(spec, name))
            if getattr(self, name) is not None:
                set_(name, _positive_int(getattr(self, name), name))
        if self.pool_subset is not None and self.pool_subset < self.query_size:
            raise ConfigError(f"pool_subset ({self.pool_subset}) must hold at least query_size ({self.query_size}) "
                              "instances")
        threshold = self.stream_threshold
        if not isinstance(threshold, numbers.Real) or not (0.0 <= float(threshold) <= 1.0) or math.isnan(threshold):
            raise ConfigError(f"stream_threshold must lie in [0, 1], got {threshold!r}")
        set_("stream_threshold", float(threshold))
        if self.initial_size is not None:
            size = self.initial_size
            if isinstance(size, bool) or not isinstance(size, numbers.Real):
                raise ConfigError(f"initial_size must be an int or a fraction, got {size!r}")
            if isinstance(size, numbers.Integral):
                if _positive_int(size, "initial_size") < 2:
                    raise ConfigError(
                        f"initial_size must be at least 2 (the model needs two classes to train), got {size!r}"
                    )
            elif not 0.0 < float(size) < 1.0:
                raise ConfigError(f"a fractional initial_size must lie in (0, 1), got {size!r}")
        unknown = set(self.model_params) - set(spec.model_params)
        if unknown:
            raise ConfigError(
                f"unknown model parameter(s) {sorted(unknown)} for pair {self.pair!r}; "
                f"known: {sorted(spec.model_params)}"
            )
        set_("model_params", {**spec.model_params, **dict(self.model_params)})
        if "finetune" in self.model_params:
            _choice(self.model_params["finetune"], FINETUNE_MODES, "finetune mode")
        for name in ("data_root", "results_dir"):
            value = getattr(self, name)
            if value is not None:
                if not str(value).strip():
                    # An empty path would silently mean the current folder (or the default).
                    raise ConfigError(f"{name} must be a path or None, got an empty string")
                set_(name, str(value))

    @property
    def spec(self) -> PairSpec:
        """The :class:`PairSpec` of this run's pair."""
        return PAIRS[self.pair]

    def initial_rule(self) -> int | float:
        """Return the initial-set rule: samples per class (experiment), a count, or a fraction."""
        return EXPERIMENTS[self.experiment] if self.initial_size is None else self.initial_size

    def replace(self, **changes) -> "ProtocolConfig":
        """Return a validated copy with some fields changed."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        # Pair defaults were filled in; drop them so a changed pair gets its own defaults.
        if "pair" in changes and changes["pair"] != self.pair:
            fields.update(query_size=None, n_iterations=None, model_params={}, pool_subset="auto",
                          train_eval_size="auto")
        fields.update(changes)
        return ProtocolConfig(**fields)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict of every field (paths as strings)."""
        return {f.name: (dict(v) if isinstance(v := getattr(self, f.name), Mapping) else v) for f in dataclasses.fields(self)}

    def results_root(self) -> Path:
        """Return the results root this run writes under."""
        from helpers import paths

        return Path(self.results_dir).expanduser().resolve() if self.results_dir else paths.results_dir()

    def data_path(self) -> Path:
        """Return the dataset root this run reads from."""
        from helpers import paths

        return Path(self.data_root).expanduser().resolve() if self.data_root else paths.data_dir()
