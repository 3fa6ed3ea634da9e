"""Per-iteration cost of the active-learning loop, printed as a table.

For each pair and experiment, runs a few iterations of one strategy on the current
device and reports the pre-training time and, per iteration, the fit (fine-tuning),
query (pool scoring and selection) and remaining time (test and training-set
evaluation, bookkeeping). Numbers only: nothing here asserts a speed.

``--baseline`` runs, for the same configuration and seed, the loop a modAL + skorch user
would write first, then the project's loop, and prints both per-iteration times, their
ratio and both final test accuracies. The baseline uses modAL's own ``ActiveLearner``
(whose ``teach`` re-stacks the labelled set), its query function on the whole pool, and
skorch's defaults (prediction batches of ``batch_size`` through skorch's data loader,
contiguous tensors; ``train_accuracy`` on the whole labelled set; the whole pool scored);
the logistic regression is scikit-learn's, refitted by ``teach`` from scratch as modAL does
with a plain estimator. The CNN keeps the study's fine-tuning (warm start, the same
``finetune_steps`` or ``finetune_epochs`` per query), so the ratio measures the
implementation and the scoring of a pool subset, not a change of the training rule.

    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_loop.py
    .venv/bin/python benchmarks/bench_loop.py --pairs digits_logreg digits_cnn --iterations 10
    .venv/bin/python benchmarks/bench_loop.py --pairs digits_cnn --experiments small --baseline
"""

from __future__ import annotations

import argparse
import functools
import sys
import time

import numpy as np
from skorch import NeuralNetClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from helpers import compat
from helpers.config import EXPERIMENTS, PAIRS, ProtocolConfig
from helpers.data import DataNotFoundError, load_dataset
from helpers.loop import _device_name, model_inputs, pinned_threads, prepare, run_active_learning, seed_everything
from helpers.models import make_cnn
from helpers.seeding import random_streams


def _pretrain_spent(timings: dict) -> float:
    """Seconds this run spent pre-training: none when it restored a cached pre-training."""
    return 0.0 if timings.get("pretrain_cached") else timings["pretrain_seconds"]


def bench(pair: str, experiment: str, strategy: str, iterations: int, dataset, device: str) -> dict:
    """Run ``iterations`` iterations and return the timing summary of one cell."""
    config = ProtocolConfig(pair=pair, experiment=experiment, strategy=strategy, n_iterations=iterations,
                            device=device)
    t0 = time.perf_counter()
    outcome = run_active_learning(config, dataset, progress=False)
    total = time.perf_counter() - t0
    rows = outcome.rows.iloc[1:]
    timings = outcome.meta["timings"]
    n = max(len(rows), 1)
    other = (total - _pretrain_spent(timings) - rows["fit_seconds"].sum() - rows["query_seconds"].sum()) / n
    return {
        "pair": pair, "experiment": experiment, "n_initial": outcome.meta["n_initial"],
        "pretrain_s": timings["pretrain_seconds"], "fit_s": rows["fit_seconds"].mean(),
        "query_s": rows["query_seconds"].mean(), "other_s": other,
        "iter_s": (rows["fit_seconds"].sum() + rows["query_seconds"].sum()) / n + other,
        "fit_steps": rows["fit_steps"].mean(), "device": _device_name(config),
    }


def _datasets(pairs) -> dict:
    """Load each pair's dataset, printing a line for one that is missing.

    Returns
    -------
    dict
        ``datasets``: (pair, dataset) of the pairs found; ``status``: 1 if one was missing.
    """
    found, status = [], 0
    for pair in pairs:
        try:
            found.append((pair, load_dataset(PAIRS[pair].dataset)))
        except DataNotFoundError as err:
            print(f"{pair:<14}skipped: {err}".splitlines()[0])
            status = 1
    return {"datasets": found, "status": status}


def naive_loop(config: ProtocolConfig, dataset) -> dict:
    """Run ``config`` the way a first modAL + skorch script would; return its timings.

    Returns
    -------
    dict
        ``iter_s`` (mean seconds per iteration), ``final_accuracy`` and ``pretrain_s``.
    """
    from modAL.uncertainty import entropy_sampling, margin_sampling, uncertainty_sampling

    queries = {"margin": margin_sampling, "entropy": entropy_sampling, "least_confident": uncertainty_sampling}
    if config.strategy not in queries:
        raise SystemExit(f"--baseline compares pool strategies: {', '.join(queries)}")
    dataset, splits = prepare(config, dataset)
    X, X_test = model_inputs(config.spec.model, dataset, splits.pool)
    y = dataset.y_train
    params = config.model_params
    with pinned_threads(config.n_threads):
        seed_everything(random_streams(config.seed).integer_seed("model"))
        if config.spec.model == "logreg":
            estimator = LogisticRegression(C=params["C"], max_iter=params["max_iter"], tol=params["tol"])
        else:
            # A first script's network: default (contiguous) memory layout.
            estimator = make_cnn({**params, "predict_batch_size": params["batch_size"], "channels_last": False},
                                 X.shape[1:], len(dataset.classes), config.device)
            # skorch's own prediction path: its dataset, data loader and default batch size.
            estimator.predict_proba = functools.partial(NeuralNetClassifier.predict_proba, estimator)
        t0 = time.perf_counter()
        learner = compat.active_learner_class()(estimator=estimator, query_strategy=queries[config.strategy],
                                                X_training=X[splits.initial], y_training=y[splits.initial])
        pretrain = time.perf_counter() - t0
        unlabelled = np.array(splits.unlabeled)
        t0 = time.perf_counter()
        for _ in range(config.n_iterations):
            positions, _ = learner.query(X[unlabelled], n_instances=min(config.query_size, unlabelled.size))
            chosen = unlabelled[positions]
            unlabelled = np.delete(unlabelled, positions)
            learner.teach(X[chosen], y[chosen])
            accuracy = accuracy_score(dataset.y_test, learner.predict(X_test))
            accuracy_score(learner.y_training, learner.predict(learner.X_training))
        per_iteration = (time.perf_counter() - t0) / max(config.n_iterations, 1)
    return {"iter_s": per_iteration, "final_accuracy": accuracy, "pretrain_s": pretrain}


def baseline(pairs, experiments, strategy: str, iterations: int, device: str) -> int:
    """Print the naive loop against the project's loop, cell by cell; return the exit status."""
    header = (f"{'pair':<14}{'experiment':<11}{'naive s/it':>11}{'ours s/it':>10}{'ratio':>7}"
              f"{'naive acc':>10}{'ours acc':>9}")
    print(header)
    print("-" * len(header))
    loaded = _datasets(pairs)
    for pair, dataset in loaded["datasets"]:
        for experiment in experiments:
            config = ProtocolConfig(pair=pair, experiment=experiment, strategy=strategy, n_iterations=iterations,
                                    device=device)
            naive = naive_loop(config, dataset)
            t0 = time.perf_counter()
            ours = run_active_learning(config, dataset, progress=False)
            rows = ours.rows.iloc[1:]
            ours_s = (time.perf_counter() - t0 - _pretrain_spent(ours.meta["timings"])) / max(len(rows), 1)
            print(f"{pair:<14}{experiment:<11}{naive['iter_s']:>11.3f}{ours_s:>10.3f}"
                  f"{naive['iter_s'] / ours_s:>7.1f}{naive['final_accuracy']:>10.4f}"
                  f"{ours.rows['accuracy'].iloc[-1]:>9.4f}")
    return loaded["status"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=["mnist_logreg", "cifar10_cnn"], choices=list(PAIRS))
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    parser.add_argument("--strategy", default="margin")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--baseline", action="store_true",
                        help="compare with the loop a modAL + skorch user would write (pool strategies)")
    args = parser.parse_args(argv)
    if args.baseline:
        return baseline(args.pairs, args.experiments, args.strategy, args.iterations, args.device)

    header = f"{'pair':<14}{'experiment':<11}{'initial':>8}{'pretrain s':>11}{'fit s/it':>10}{'query s/it':>11}" \
             f"{'other s/it':>11}{'total s/it':>11}{'steps':>7}  device"
    print(header)
    print("-" * len(header))
    loaded = _datasets(args.pairs)
    for pair, dataset in loaded["datasets"]:
        for experiment in args.experiments:
            r = bench(pair, experiment, args.strategy, args.iterations, dataset, args.device)
            print(f"{r['pair']:<14}{r['experiment']:<11}{r['n_initial']:>8}{r['pretrain_s']:>11.3f}{r['fit_s']:>10.3f}"
                  f"{r['query_s']:>11.3f}{r['other_s']:>11.3f}{r['iter_s']:>11.3f}{r['fit_steps']:>7.1f}  {r['device']}")
    return loaded["status"]


if __name__ == "__main__":
    sys.exit(main())
