"""One active-learning run on modAL's ``ActiveLearner``, and the reference fit.

A run pre-trains the model on the initial labelled set, evaluates it on the test set
(iteration 0), then repeats ``n_iterations`` times: the strategy queries ``query_size``
instances of the unlabelled pool, their labels are revealed (the oracle is the dataset),
the model is fine-tuned on the grown labelled set, and the test set is evaluated again.
The loop stops early, and records why, when the pool is exhausted; an iteration that finds
fewer unlabelled instances than ``query_size`` labels all that remain.

Everything random is seeded from ``config.seed`` through independent streams
(:mod:`helpers.seeding`): the split, the initial set, the model initialisation and training
batches, and the strategy's own draws. The BLAS and torch thread counts are pinned to
``config.n_threads`` for the duration of a run, so the same configuration computes the same
numbers whether it runs alone or in a grid worker.

The study's stream strategy does not query the pool: it reads a one-pass stream of the
unlabelled instances (:class:`helpers.stream.OnePassStream`), labelling ``query_size``
arrivals per iteration; the pool strategies, and the ``stream_redraw`` ablation, query the
remaining pool through modAL's ``ActiveLearner.query``.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from threadpoolctl import threadpool_info, threadpool_limits
from tqdm.auto import tqdm

from helpers import checkpoints, provenance, results
from helpers.config import EXPERIMENTS, PROTOCOL_VERSION, ProtocolConfig
from helpers.data import Dataset, channel_stats, load_dataset, normalize_channels
from helpers.learner import BufferedActiveLearner
from helpers.models import make_estimator, resolve_device
from helpers.seeding import random_streams
from helpers.splits import Splits, make_splits
from helpers.strategies import get_strategy


@dataclass
class RunResult:
    """What one run produced.

    Attributes
    ----------
    rows : DataFrame
        One row per evaluation, columns :data:`helpers.results.COLUMNS`.
    meta : dict
        Everything written to the run's JSON (confusion matrix, timings, versions, ...).
    queried : ndarray of int
        Training-set indices of the queried instances, in query order.
    """

    rows: pd.DataFrame
    meta: dict[str, Any]
    queried: np.ndarray


#: Columns that only the one-pass stream fills (NaN for the pool strategies and ``stream_redraw``).
STREAM_COLUMNS = ("theta", "budget_rate", "n_discarded_budget", "n_discarded_confidence",
                  "labeled_uncertainty_percentile")


def prediction_collapse(y_pred) -> tuple[int, float]:
    """Return the most predicted class and the share of the predictions that go to it.

    Parameters
    ----------
    y_pred : array-like
        Predicted labels of the evaluation set.

    Returns
    -------
    (int, float)
        ``top_class``: the label predicted most often (the smallest such label on a tie);
        ``top_class_share``: its count divided by ``len(y_pred)``, in (0, 1]. A model that
        predicts one class for everything has share 1; a balanced ten-class evaluation set
        predicted perfectly has share about 0.1.
    """
    labels, counts = np.unique(np.asarray(y_pred), return_counts=True)
    if counts.size == 0:
        raise ValueError("no predictions to summarise")
    top = int(np.argmax(counts))
    return int(labels[top]), float(counts[top] / counts.sum())


class _UnlabeledPool:
    """The unlabelled pool as one contiguous array that shrinks in place.

    Strategies score ``X`` (a view, never a copy); taking rows moves the last rows into
    the gaps, so removing k rows costs O(k) instead of copying the whole pool every
    iteration. The order of the remaining rows changes, deterministically.
    """

    def __init__(self, X_train: np.ndarray, indices: np.ndarray):
        self._X = X_train[indices]
        self._indices = np.array(indices)
        self.size = len(self._indices)

    @property
    def X(self) -> np.ndarray:
        """Features of the rows still unlabelled (a view)."""
        return self._X[: self.size]

    def take(self, positions: np.ndarray) -> np.ndarray:
        """Remove the rows at ``positions`` of :attr:`X`; return their training-set indices."""
        positions = np.asarray(positions)
        if np.unique(positions).size != positions.size:
            raise ValueError("a strategy returned the same pool position twice")
        taken = self._indices[positions].copy()
        # Highest position first: every row moved into a gap comes from beyond the
        # positions still to be removed.
        for position in np.sort(positions)[::-1]:
            self.size -= 1
            self._X[position] = self._X[self.size]
            self._indices[position] = self._indices[self.size]
        return taken


@contextlib.contextmanager
def pinned_threads(n_threads: int):
    """Limit BLAS/OpenMP pools and torch to ``n_threads`` inside the block, then restore them.

    Yields
    ------
    dict
        The thread counts in force inside the block: ``blas`` (the largest over the loaded
        BLAS/OpenMP libraries, 0 when none is loaded) and ``torch``.
    """
    previous = torch.get_num_threads()
    with threadpool_limits(limits=n_threads):
        torch.set_num_threads(n_threads)
        try:
            pools = [pool["num_threads"] for pool in threadpool_info()]
            yield {"blas": max(pools, default=0), "torch": torch.get_num_threads()}
        finally:
            torch.set_num_threads(previous)


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch, and make cuDNN deterministic."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def model_inputs(model: str, dataset: Dataset, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the training and test features in the form ``model`` takes.

    Logistic regression takes flat vectors. The CNN takes ``(N, C, H, W)`` images (flat
    square inputs such as 8x8 digits become one-channel images), normalised per channel
    with statistics of the training pool only, so nothing leaks from validation or test.
    """
    X_train, X_test = dataset.X_train, dataset.X_test
    if model == "logreg":
        return X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    if X_train.ndim == 2:
        side = math.isqrt(X_train.shape[1])
        if side * side != X_train.shape[1]:
            raise ValueError(f"the CNN needs images; flat inputs of {X_train.shape[1]} features are not square")
        X_train = X_train.reshape(-1, 1, side, side)
        X_test = X_test.reshape(-1, 1, side, side)
    mean, std = channel_stats(X_train[pool])
    return normalize_channels(X_train, mean, std), normalize_channels(X_test, mean, std)


def evaluation_set(config: ProtocolConfig, X: np.ndarray, X_test: np.ndarray, y: np.ndarray, y_test: np.ndarray,
                   splits: Splits) -> tuple[np.ndarray, np.ndarray]:
    """Return the features and labels a run is evaluated on.

    Returns
    -------
    (ndarray, ndarray)
        The official test set, or with ``config.evaluation == "validation"`` the seed's
        validation hold-out (rows of the training set that no run ever labels or trains
        on). Protocol choices are made on the latter, never on the test set.
    """
    if config.evaluation == "validation":
        return X[splits.validation], y[splits.validation]
    return X_test, y_test


def prepare(config: ProtocolConfig, dataset: Dataset | None = None) -> tuple[Dataset, Splits]:
    """Load the pair's dataset (unless given) and draw the seed's splits.

    Raises the configuration's errors (sizes that do not fit, missing data) before any
    model is trained.
    """
    if dataset is None:
        dataset = load_dataset(config.spec.dataset, config.data_path())
    per_class = config.initial_size is None and isinstance(EXPERIMENTS[config.experiment], int)
    splits = make_splits(dataset.y_train, config.initial_rule(), config.seed, per_class=per_class)
    return dataset, splits


def _device_name(config: ProtocolConfig) -> str:
    if config.spec.model != "cnn":
        return "cpu"
    device = resolve_device(config.device)
    return torch.cuda.get_device_name(0) if device == "cuda" else "cpu"


def run_active_learning(config: ProtocolConfig, dataset: Dataset | None = None, *, progress: bool = True) -> RunResult:
    """Run one active-learning experiment as ``config`` describes.

    Parameters
    ----------
    config : ProtocolConfig
    dataset : Dataset, optional
        Already loaded data (the grid loads it once for many runs).
    progress : bool
        Show a tqdm bar over iterations.

    Returns
    -------
    RunResult
    """
    with pinned_threads(config.n_threads) as threads:
        return _run_active_learning(config, dataset, progress, threads)


def _run_active_learning(config: ProtocolConfig, dataset: Dataset | None, progress: bool,
                         threads: dict[str, int]) -> RunResult:
    started = datetime.now(timezone.utc)
    t_start = time.perf_counter()
    dataset, splits = prepare(config, dataset)
    X, X_test = model_inputs(config.spec.model, dataset, splits.pool)
    y, y_test = dataset.y_train, dataset.y_test
    X_test, y_test = evaluation_set(config, X, X_test, y, y_test, splits)
    n_pool = splits.pool.size
    strategy = get_strategy(config.strategy)
    streams = random_streams(config.seed)

    # The inputs are checked for NaN/inf once here, so scikit-learn can skip its own scan of
    # the whole pool and labelled set in every fit and predict (measured: ~10 % of an iteration).
    for name, array in (("training", X), ("test", X_test)):
        if not np.isfinite(array).all():
            raise ValueError(f"the {name} inputs of {dataset.name!r} contain NaN or infinite values")

    with sklearn.config_context(assume_finite=True):
        seed_everything(streams.integer_seed("model"))
        strategy_rng = streams.generator("strategy")
        subset_rng, train_eval_rng = streams.generator("subset"), streams.generator("train_eval")
        estimator = make_estimator(config, X.shape[1:], len(dataset.classes))
        # The one-pass stream never calls modAL's query; modAL only needs a callable.
        query_strategy = strategy.bind(strategy_rng, config.stream_threshold) if strategy.query else strategy.score
        X_initial, y_initial = X[splits.initial], y[splits.initial]
        key = cached_seconds = None
        if config.spec.model == "cnn":
            # Every strategy of a seed pre-trains the same network: compute it once.
            key = checkpoints.pretrain_key(config.model_params, streams.integer_seed("model"), config.n_threads,
                                           resolve_device(config.device), X_initial, y_initial)
            cached_seconds = checkpoints.load_pretrained(estimator, key)
        t0 = time.perf_counter()
        if cached_seconds is None:
            learner = BufferedActiveLearner(estimator=estimator, query_strategy=query_strategy,
                                            X_training=X_initial, y_training=y_initial)
            pretrain_seconds = time.perf_counter() - t0
            if key is not None:
                checkpoints.save_pretrained(estimator, key, pretrain_seconds)
        else:
            learner = BufferedActiveLearner(estimator=estimator, query_strategy=query_strategy)
            learner.X_training, learner.y_training = X_initial, y_initial
            pretrain_seconds = cached_seconds
        is_stream = strategy.family == "stream"
        labels_requested = config.query_size * config.n_iterations
        if strategy.stream is not None:
            stream = strategy.stream(splits.unlabeled, labels_requested, strategy_rng)
            pool = None
        else:
            stream = None
            pool = _UnlabeledPool(X, splits.unlabeled)

        def labelled_accuracy():
            X_lab, y_lab = learner.X_training, learner.y_training
            if config.train_eval_size is not None and len(y_lab) > config.train_eval_size:
                rows = np.sort(train_eval_rng.choice(len(y_lab), config.train_eval_size, replace=False))
                X_lab, y_lab = X_lab[rows], y_lab[rows]
            return accuracy_score(y_lab, learner.predict(X_lab))

        # The stream's own columns before its first query: the initial threshold, no discards.
        stream_start = ({"theta": stream.params["theta"], "n_discarded_budget": 0, "n_discarded_confidence": 0}
                        if stream is not None else {})

        def evaluate(iteration, fit_seconds, query_seconds, n_queried, info):
            y_pred = learner.predict(X_test)
            top_class, top_class_share = prediction_collapse(y_pred)
            stream_info = {**stream_start, **info} if stream is not None else {}
            return {
                "pair": config.pair, "experiment": config.experiment, "strategy": config.strategy,
                "seed": config.seed, "iteration": iteration,
                "n_labeled": len(learner.y_training), "frac_labeled": len(learner.y_training) / n_pool,
                "n_queried": n_queried,
                "accuracy": accuracy_score(y_test, y_pred),
                "macro_f1": f1_score(y_test, y_pred, average="macro", zero_division=0),
                "train_accuracy": labelled_accuracy(),
                "fit_seconds": fit_seconds, "query_seconds": query_seconds,
                "fit_steps": learner.estimator.fit_steps_,
                "cold_refit": int(iteration > 0 and getattr(learner.estimator, "cold_fit_", False)),
                "n_inspected": info.get("n_inspected", 0 if is_stream and iteration == 0 else np.nan),
                "n_fallback": info.get("n_fallback", 0 if is_stream and iteration == 0 else np.nan),
                "top_class": top_class, "top_class_share": top_class_share,
                **{column: stream_info.get(column, np.nan) for column in STREAM_COLUMNS},
            }

        rows = [evaluate(0, pretrain_seconds, 0.0, 0, {})]
        queried: list[np.ndarray] = []
        stop_reason = None
        bar = tqdm(range(1, config.n_iterations + 1), disable=not progress, leave=False,
                   desc=f"{config.pair}/{config.experiment}/{config.strategy}/seed{config.seed}")
        for iteration in bar:
            # The stream's budget is capped at its arrivals, so it runs out before the last
            # iteration only when every arrival was labelled: the pool is exhausted as well.
            if (pool.size if stream is None else stream.labels_left) == 0:
                stop_reason = f"pool exhausted: all {n_pool} pool samples labelled after {iteration - 1} iterations"
                break
            t0 = time.perf_counter()
            if stream is not None:
                chosen, info = stream.query(learner.estimator, X, config.query_size)
            else:
                candidates = None
                if config.pool_subset is not None and pool.size > config.pool_subset:
                    candidates = np.sort(subset_rng.choice(pool.size, config.pool_subset, replace=False))
                positions, _, info = learner.query(
                    pool.X if candidates is None else pool.X[candidates],
                    n_instances=min(config.query_size, pool.size), return_metrics=True,
                )
                chosen = pool.take(positions if candidates is None else candidates[np.asarray(positions)])
            query_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            learner.teach(X[chosen], y[chosen])
            fit_seconds = time.perf_counter() - t0
            queried.append(chosen)
            rows.append(evaluate(iteration, fit_seconds, query_seconds, len(chosen), info or {}))
        bar.close()

        y_pred = learner.predict(X_test)

    frame = pd.DataFrame(rows, columns=results.COLUMNS)
    queried_all = np.concatenate(queried) if queried else np.empty(0, dtype=int)
    meta = {
        "pair": config.pair, "experiment": config.experiment, "strategy": config.strategy, "seed": config.seed,
        "dataset": _dataset_record(dataset),
        "evaluation": {"split": config.evaluation, "n": int(len(y_test))},
        "n_pool": int(n_pool), "n_initial": int(splits.initial.size), "n_validation": int(splits.validation.size),
        "classes": list(dataset.classes),
        "confusion_matrix": confusion_matrix(y_test, y_pred, labels=np.arange(len(dataset.classes))).tolist(),
        "iterations_run": int(len(rows) - 1),
        "stopped_early": stop_reason is not None, "stop_reason": stop_reason,
        "labels": {
            "requested": int(labels_requested), "obtained": int(queried_all.size),
            "shortfall": int(labels_requested - queried_all.size),
        },
        "stream": stream.summary() if stream is not None else None,
        "queried_indices": queried_all.tolist(),
        "queried_labels": y[queried_all].tolist(),
        "initial_labels": y[splits.initial].tolist(),
        "timings": {
            # For a pre-training restored from the cache: the seconds it took when computed.
            "pretrain_seconds": pretrain_seconds,
            "pretrain_cached": cached_seconds is not None,
            "fit_seconds_total": float(frame["fit_seconds"].sum()),
            "query_seconds_total": float(frame["query_seconds"].sum()),
            "total_seconds": time.perf_counter() - t_start,
        },
        "device": _device_name(config),
        "threads": threads,
        "random_streams": {"entropy": config.seed, "purposes": list(streams.sequences)},
        "versions": results.library_versions(),
        **_code_record(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return RunResult(frame, meta, queried_all)


def _code_record() -> dict[str, Any]:
    """Return ``git_revision`` and ``provenance`` of a run's JSON, asking git once for both."""
    record = provenance.run_provenance()
    return {"git_revision": provenance.revision_label(record["git"]), "provenance": record}


def _dataset_record(dataset: Dataset) -> dict[str, Any]:
    """Return the ``dataset`` block of a run's or reference's JSON: name, identity, source, sizes."""
    return {"name": dataset.name, **dataset.identity, "source": dataset.source,
            "n_train": int(len(dataset.y_train)), "n_test": int(len(dataset.y_test))}


def run_and_save(config: ProtocolConfig, dataset: Dataset | None = None, *, progress: bool = True,
                 force: bool = False) -> bool:
    """Run ``config`` and write its CSV and JSON, unless it finished before.

    Returns
    -------
    bool
        True if the run was executed, False if a finished result was kept.
    """
    results.ensure_writable(results.config_stem(config).parent)
    if not force and results.is_complete(config, None if dataset is None else dataset.identity):
        return False
    outcome = run_active_learning(config, dataset, progress=progress)
    results.write_run(config, outcome.rows, outcome.meta)
    return True


def run_reference(config: ProtocolConfig, dataset: Dataset | None = None, *, force: bool = False) -> dict[str, Any]:
    """Fit ``config``'s model once on the whole training pool and write its test accuracy.

    This is the upper bound a learning curve heads towards. The model gets the same
    budget as pre-training (logistic regression: max_iter and tol of the protocol; CNN:
    ``pretrain_epochs`` epochs). Written to ``<root>/<pair>/reference/seed<k>.json``;
    an existing file for the same pair, seed and model parameters is reused.

    Returns
    -------
    dict
        pair, seed, n_train, accuracy, macro_f1, fit_seconds, model_params.
    """
    path = results.reference_path(config.results_root(), config.pair, config.seed)
    results.ensure_writable(path.parent)
    if not force and path.exists():
        import json

        try:
            stored = json.loads(path.read_text())
        except ValueError:
            stored = None  # a corrupt file is recomputed below
        if results.reference_matches(stored, config, None if dataset is None else dataset.identity):
            return stored
    dataset, splits = prepare(config, dataset)
    X, X_test = model_inputs(config.spec.model, dataset, splits.pool)
    X_test, y_test = evaluation_set(config, X, X_test, dataset.y_train, dataset.y_test, splits)
    with pinned_threads(config.n_threads) as threads:
        seed_everything(random_streams(config.seed).integer_seed("model"))
        estimator = make_estimator(config, X.shape[1:], len(dataset.classes))
        t0 = time.perf_counter()
        estimator.fit(X[splits.pool], dataset.y_train[splits.pool])
        fit_seconds = time.perf_counter() - t0
        y_pred = estimator.predict(X_test)
    record = {
        "pair": config.pair, "seed": config.seed, "n_train": int(splits.pool.size),
        "dataset": _dataset_record(dataset),
        "accuracy": float(accuracy_score(y_test, y_pred)),
        "macro_f1": float(f1_score(y_test, y_pred, average="macro", zero_division=0)),
        "evaluation": config.evaluation,
        "fit_seconds": fit_seconds, "fit_steps": int(estimator.fit_steps_),
        "model_params": dict(config.model_params), "device": _device_name(config), "threads": threads,
        "versions": results.library_versions(), **_code_record(),
        "protocol_version": PROTOCOL_VERSION,
    }
    results.write_json(path, record)
    return record
