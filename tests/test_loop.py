"""Tests of helpers.loop on the offline digits pairs: invariants, determinism, early stop."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers import loop, paths, results
from helpers.config import ProtocolConfig
from helpers.loop import prepare, run_active_learning, run_and_save, run_reference
from helpers.results import COLUMNS, TIMING_COLUMNS
from helpers.strategies import STRATEGIES

N_ITER = 3


def config(strategy="margin", **changes) -> ProtocolConfig:
    return ProtocolConfig(**{"pair": "digits_logreg", "experiment": "small", "strategy": strategy,
                             "n_iterations": N_ITER, "seed": 42, **changes})


def metric_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=TIMING_COLUMNS)


def check_invariants(cfg, run, dataset):
    _, splits = prepare(cfg, dataset)
    rows, meta, queried = run.rows, run.meta, run.queried
    q = cfg.query_size
    n_pool = splits.pool.size
    assert list(rows.columns) == COLUMNS
    assert rows["iteration"].tolist() == list(range(len(rows)))  # iteration 0 exists
    assert rows["n_labeled"].tolist() == [splits.initial.size + q * i for i in range(len(rows))]
    assert np.allclose(rows["frac_labeled"], rows["n_labeled"] / n_pool)
    assert meta["queried_indices"] == queried.tolist()
    assert meta["queried_labels"] == dataset.y_train[queried].tolist()
    assert sorted(meta["initial_labels"]) == sorted(dataset.y_train[splits.initial].tolist())
    assert queried.size == q * (len(rows) - 1)
    # Labelled + unlabelled partition the pool at every step.
    assert len(np.unique(queried)) == queried.size
    assert np.intersect1d(queried, splits.initial).size == 0
    assert np.intersect1d(queried, splits.validation).size == 0
    assert np.isin(queried, splits.pool).all()
    assert queried.max() < len(dataset.y_train)  # training-set indices, never the test set
    for i in range(len(rows)):
        labelled = np.concatenate([splits.initial, queried[: q * i]])
        unlabelled = np.setdiff1d(splits.pool, labelled)
        assert labelled.size + unlabelled.size == n_pool
        assert labelled.size == rows["n_labeled"].iloc[i]
    assert ((rows[["accuracy", "macro_f1", "train_accuracy"]] >= 0) &
            (rows[["accuracy", "macro_f1", "train_accuracy"]] <= 1)).all().all()
    assert (rows[["pair", "experiment", "strategy", "seed"]] == [cfg.pair, cfg.experiment, cfg.strategy,
                                                                 cfg.seed]).all().all()
    assert meta["n_pool"] == n_pool and meta["n_initial"] == splits.initial.size
    assert meta["n_validation"] == splits.validation.size
    assert np.array(meta["confusion_matrix"]).sum() == len(dataset.y_test)
    assert meta["iterations_run"] == len(rows) - 1


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_loop_invariants(strategy, digits):
    cfg = config(strategy)
    run = run_active_learning(cfg, digits, progress=False)
    check_invariants(cfg, run, digits)
    rows = run.rows
    assert len(rows) == N_ITER + 1
    assert run.meta["stopped_early"] is False and run.meta["stop_reason"] is None
    # Logistic regression: pre-training stops on tol, fine-tuning runs its fixed budget.
    assert rows["fit_steps"].iloc[0] >= 1
    assert (rows["fit_steps"].iloc[1:] == cfg.model_params["finetune_max_iter"]).all()
    assert rows["n_queried"].tolist() == [0] + [cfg.query_size] * N_ITER
    assert (rows["cold_refit"] == 0).all()
    assert run.meta["labels"] == {"requested": cfg.query_size * N_ITER, "obtained": cfg.query_size * N_ITER,
                                  "shortfall": 0}
    assert run.meta["threads"]["torch"] == 1 and run.meta["threads"]["blas"] <= 1
    if STRATEGIES[strategy].family == "stream":
        assert rows["n_inspected"].iloc[0] == 0 and rows["n_fallback"].iloc[0] == 0
        inspected = rows["n_inspected"].iloc[1:]
        assert ((inspected >= cfg.query_size) & (inspected <= run.meta["n_pool"])).all()
        assert ((rows["n_fallback"].iloc[1:] >= 0) & (rows["n_fallback"].iloc[1:] <= cfg.query_size)).all()
    else:
        assert rows["n_inspected"].isna().all() and rows["n_fallback"].isna().all()
    # The collapse diagnostic: the most predicted class of the evaluated predictions.
    assert ((rows["top_class_share"] > 0) & (rows["top_class_share"] <= 1)).all()
    assert rows["top_class"].between(0, len(digits.classes) - 1).all()
    # The final model's predictions per class: column sums of the confusion matrix.
    final = np.asarray(run.meta["confusion_matrix"]).sum(axis=0)
    assert rows["top_class"].iloc[-1] == np.argmax(final)
    assert rows["top_class_share"].iloc[-1] == pytest.approx(final.max() / final.sum())
    stream_columns = list(loop.STREAM_COLUMNS)
    if strategy == "stream_uncertainty":
        assert rows[["theta", "n_discarded_budget", "n_discarded_confidence"]].iloc[0].tolist() == [1.0, 0, 0]
        later = rows.iloc[1:]
        assert later[stream_columns].notna().all().all()
        assert (later["n_inspected"] == later["n_queried"] + later["n_discarded_budget"]
                + later["n_discarded_confidence"]).all()
        assert later["labeled_uncertainty_percentile"].between(0, 1).all()
        assert later["budget_rate"].between(0, 1).all()
    else:
        assert rows[stream_columns].isna().all().all()
    if strategy == "stream_uncertainty":
        stream = run.meta["stream"]
        assert stream["arrivals"] == run.meta["n_pool"] - run.meta["n_initial"]
        assert stream["arrivals_consumed"] == rows["n_inspected"].sum()
        assert stream["labels_obtained"] == cfg.query_size * N_ITER and stream["shortfall"] == 0
    else:
        assert run.meta["stream"] is None


@pytest.mark.parametrize("y_pred, expected", [
    ([3, 1, 3, 3, 2], (3, 0.6)),          # 3 of 5 predictions go to class 3
    ([1, 2, 2, 1], (1, 0.5)),             # a tie goes to the smaller label
    ([4] * 7, (4, 1.0)),                  # total collapse
    (list(range(10)) * 3, (0, 0.1)),      # balanced over ten classes
])
def test_prediction_collapse_hand_computed(y_pred, expected):
    top_class, share = loop.prediction_collapse(np.array(y_pred))
    assert (top_class, share) == (expected[0], pytest.approx(expected[1]))
    assert isinstance(top_class, int) and isinstance(share, float)


def test_prediction_collapse_needs_predictions():
    with pytest.raises(ValueError, match="no predictions"):
        loop.prediction_collapse(np.array([], dtype=int))


def test_deterministic_per_seed(digits):
    for strategy in ("random", "stream_uncertainty", "entropy"):
        a = run_active_learning(config(strategy), digits, progress=False)
        b = run_active_learning(config(strategy), digits, progress=False)
        c = run_active_learning(config(strategy, seed=7), digits, progress=False)
        assert a.queried.tolist() == b.queried.tolist()
        pd.testing.assert_frame_equal(metric_columns(a.rows), metric_columns(b.rows))
        assert a.meta["confusion_matrix"] == b.meta["confusion_matrix"]
        assert a.queried.tolist() != c.queried.tolist()


def test_strategies_share_the_seeds_initial_set(digits):
    runs = {s: run_active_learning(config(s, n_iterations=1), digits, progress=False) for s in ("random", "margin")}
    first = [r.rows.drop(columns=TIMING_COLUMNS + ["strategy"]).iloc[0] for r in runs.values()]
    pd.testing.assert_series_equal(first[0], first[1], check_names=False)


def test_dataset_is_loaded_when_not_given(digits):
    a = run_active_learning(config("random", n_iterations=1), None, progress=False)
    b = run_active_learning(config("random", n_iterations=1), digits, progress=False)
    assert a.queried.tolist() == b.queried.tolist()
    assert a.meta["dataset"]["name"] == "digits" and a.meta["dataset"]["n_test"] == len(digits.y_test)


@pytest.mark.parametrize("strategy", ["random", "margin", "stream_uncertainty"])
def test_early_stop_when_the_pool_is_exhausted(strategy, digits):
    # digits: pool of 1077; 12 unlabelled left -> batches of 5, 5 and a partial 2, then stop.
    cfg = config(strategy, initial_size=1065, n_iterations=10)
    run = run_active_learning(cfg, digits, progress=False)
    rows, meta = run.rows, run.meta
    assert rows["n_labeled"].tolist() == [1065, 1070, 1075, 1077]
    assert rows["frac_labeled"].iloc[-1] == 1.0
    assert meta["stopped_early"] is True
    assert meta["stop_reason"] == "pool exhausted: all 1077 pool samples labelled after 3 iterations"
    assert meta["iterations_run"] == 3
    _, splits = prepare(cfg, digits)
    assert sorted(run.queried.tolist()) == sorted(splits.unlabeled.tolist())  # the remainder was labelled


def test_exhausted_exactly_on_the_last_iteration_is_not_early(digits):
    cfg = config("random", initial_size=1067, n_iterations=2)  # 10 left, 2 x 5
    run = run_active_learning(cfg, digits, progress=False)
    assert run.rows["n_labeled"].tolist() == [1067, 1072, 1077]
    assert run.meta["stopped_early"] is False


def test_meta_records_provenance(digits):
    run = run_active_learning(config("random", n_iterations=1), digits, progress=False)
    meta = run.meta
    assert meta["device"] == "cpu" and meta["classes"] == list(digits.classes)
    assert {"pretrain_seconds", "fit_seconds_total", "query_seconds_total", "total_seconds"} <= set(meta["timings"])
    assert "scikit-learn" in meta["versions"]
    json.dumps(meta)  # serialisable as written


def test_model_inputs(digits):
    _, splits = prepare(config(), digits)
    X, X_test = loop.model_inputs("logreg", digits, splits.pool)
    assert X.shape == (len(digits.y_train), 64) and X_test.shape == (len(digits.y_test), 64)
    X, X_test = loop.model_inputs("cnn", digits, splits.pool)
    assert X.shape == (len(digits.y_train), 1, 8, 8) and X_test.shape[1:] == (1, 8, 8)
    # Normalised with statistics of the pool only.
    assert abs(float(X[splits.pool].mean())) < 1e-4 and abs(float(X[splits.pool].std()) - 1) < 1e-3


def test_short_cnn_run(digits):
    cfg = ProtocolConfig(pair="digits_cnn", experiment="small", strategy="margin", n_iterations=2, seed=0,
                         device="cpu", model_params={"pretrain_epochs": 3, "finetune_steps": 4})
    run = run_active_learning(cfg, digits, progress=False)
    check_invariants(cfg, run, digits)
    assert run.rows["fit_steps"].tolist() == [3, 4, 4]  # epochs of pre-training, then steps
    assert run.rows["n_labeled"].tolist() == [10, 30, 50]
    assert run.meta["device"] == "cpu"


def test_run_and_save_skips_finished_runs(digits, monkeypatch):
    cfg = config("random", n_iterations=1)
    assert run_and_save(cfg, digits, progress=False) is True
    assert results.is_complete(cfg)
    rows, meta = results.read_run(cfg)
    assert list(rows.columns) == COLUMNS and meta["config"] == results.stored_config(cfg)
    # Provenance: the data's identity, the kernels and the code; no absolute path anywhere.
    assert meta["dataset"]["variant"] == "sklearn-digits" and meta["dataset"]["digest"] == digits.identity["digest"]
    assert {"cpu", "blas", "torch_cpu_capability", "settings", "code_digest", "git"} <= set(meta["provenance"])
    text = json.dumps(meta)
    assert str(results.config_stem(cfg).parent) not in text and str(paths.REPO_ROOT) not in text

    def boom(*args, **kwargs):
        raise AssertionError("a finished run was executed again")

    with monkeypatch.context() as patch:  # not monkeypatch.undo(): that would drop AL_RESULTS_DIR too
        patch.setattr(loop, "run_active_learning", boom)
        assert run_and_save(cfg, digits, progress=False) is False
    assert run_and_save(cfg, digits, progress=False, force=True) is True


def test_run_reference_writes_and_reuses(digits, monkeypatch, isolated_dirs):
    cfg = config("random")
    record = run_reference(cfg, digits)
    path = isolated_dirs["results"] / "digits_logreg" / "reference" / "seed42.json"
    assert json.loads(path.read_text()) == record
    assert record["n_train"] == 1077 and 0.5 < record["accuracy"] <= 1.0
    assert record["model_params"] == dict(cfg.model_params)

    def no_training(*args, **kwargs):
        raise AssertionError("the stored reference was not reused")

    monkeypatch.setattr(loop, "make_estimator", no_training)
    assert run_reference(cfg, digits) == record
    assert run_reference(cfg.replace(strategy="margin", experiment="large"), digits) == record
    # Other model parameters, or force, fit again.
    with pytest.raises(AssertionError, match="not reused"):
        run_reference(cfg.replace(model_params={"C": 0.1}), digits)
    with pytest.raises(AssertionError, match="not reused"):
        run_reference(cfg, digits, force=True)


def test_unlabeled_pool_shrinks_in_place():
    X = np.arange(20, dtype=float).reshape(10, 2)  # row i holds (2i, 2i + 1)
    pool = loop._UnlabeledPool(X, np.array([9, 2, 5, 7, 0, 4]))
    assert pool.size == 6 and pool.X.tolist() == X[[9, 2, 5, 7, 0, 4]].tolist()
    taken = pool.take(np.array([4, 1]))
    assert taken.tolist() == [0, 2]
    assert pool.size == 4
    remaining = pool.take(np.arange(pool.size))
    assert sorted(remaining.tolist()) == [4, 5, 7, 9]
    # Rows and indices stay paired after the swaps.
    pool = loop._UnlabeledPool(X, np.array([3, 8, 1, 6]))
    pool.take(np.array([0]))
    rows = pool.X.copy()
    for row, index in zip(rows, pool.take(np.arange(pool.size))):
        assert row.tolist() == X[index].tolist()
    with pytest.raises(ValueError, match="same pool position twice"):
        loop._UnlabeledPool(X, np.array([1, 2, 3])).take(np.array([0, 0]))
    # The caller's training array is never modified.
    assert X.tolist() == np.arange(20, dtype=float).reshape(10, 2).tolist()


def test_non_finite_inputs_are_rejected_before_training(digits, monkeypatch):
    X_bad = digits.X_train.copy()
    X_bad[3, 5] = np.nan
    bad = type(digits)(**{**digits.__dict__, "X_train": X_bad})
    called = []
    monkeypatch.setattr(loop, "make_estimator", lambda *a, **k: called.append(1))
    with pytest.raises(ValueError, match="NaN or infinite"):
        run_active_learning(config(), bad, progress=False)
    assert not called


def test_threads_are_pinned_inside_a_run_and_restored_after(digits, monkeypatch):
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    seen = []
    original = loop.make_estimator

    def probing(*args, **kwargs):
        estimator = original(*args, **kwargs)
        fit = estimator.fit

        def fit_and_probe(X, y):
            seen.append((max((p["num_threads"] for p in threadpool_info()), default=0), torch.get_num_threads()))
            return fit(X, y)

        estimator.fit = fit_and_probe
        return estimator

    monkeypatch.setattr(loop, "make_estimator", probing)
    before = torch.get_num_threads()
    with threadpool_limits(limits=2):
        torch.set_num_threads(2)
        try:
            run = run_active_learning(config("margin", n_iterations=2), digits, progress=False)
            assert torch.get_num_threads() == 2  # the caller's setting is back
        finally:
            torch.set_num_threads(before)
    assert len(seen) == 3 and all(blas <= 1 and torch_threads == 1 for blas, torch_threads in seen)
    assert run.meta["threads"]["torch"] == 1
    seen.clear()
    run_active_learning(config("margin", n_iterations=1, n_threads=2), digits, progress=False)
    assert all(torch_threads == 2 for _, torch_threads in seen)


def test_runs_are_identical_whatever_the_callers_thread_count(digits, tmp_path):
    """``--jobs 1`` runs in the main process (all cores), ``--jobs 2`` in one-thread workers."""
    import torch
    from threadpoolctl import threadpool_limits

    texts = []
    for outer in (1, 2):
        cfg = config("entropy", results_dir=str(tmp_path / f"outer{outer}"))
        before = torch.get_num_threads()
        with threadpool_limits(limits=outer):
            torch.set_num_threads(outer)
            try:
                run_and_save(cfg, digits, progress=False)
            finally:
                torch.set_num_threads(before)
        frame = pd.read_csv(results.config_stem(cfg).with_suffix(".csv"), dtype=str)
        texts.append(frame.drop(columns=TIMING_COLUMNS).to_csv(index=False))
    assert texts[0] == texts[1]


def test_cold_refit_is_flagged_when_a_query_brings_a_new_class(digits):
    # An initial set of 2 samples of 2 classes: the first queries bring unseen classes, and
    # the logistic regression must re-train from scratch each time one arrives.
    cfg = config("random", experiment="moderate", initial_size=2, n_iterations=6, seed=0)
    run = run_active_learning(cfg, digits, progress=False)
    rows = run.rows
    labels = np.concatenate([digits.y_train[prepare(cfg, digits)[1].initial], digits.y_train[run.queried]])
    n_classes_seen = [np.unique(labels[: rows["n_labeled"].iloc[i]]).size for i in range(len(rows))]
    new_class = [i > 0 and n_classes_seen[i] > n_classes_seen[i - 1] for i in range(len(rows))]
    assert any(new_class)
    assert rows["cold_refit"].astype(bool).tolist() == new_class
    # A cold refit runs the pre-training budget, not the fixed fine-tuning iterations.
    budget = cfg.model_params["finetune_max_iter"]
    assert all(rows["fit_steps"].iloc[i] == budget for i in range(1, len(rows)) if not new_class[i])


def test_validation_evaluation_never_touches_the_test_set(digits):
    cfg = config("margin", n_iterations=2, evaluation="validation")
    run = run_active_learning(cfg, digits, progress=False)
    _, splits = prepare(cfg, digits)
    assert run.meta["evaluation"] == {"split": "validation", "n": splits.validation.size}
    assert np.array(run.meta["confusion_matrix"]).sum() == splits.validation.size
    test_run = run_active_learning(config("margin", n_iterations=2), digits, progress=False)
    # Same queries (evaluation does not steer the loop), other scores.
    assert run.queried.tolist() == test_run.queried.tolist()
    assert run.rows["accuracy"].tolist() != test_run.rows["accuracy"].tolist()
    on_test = run_reference(config("margin"), digits)
    on_validation = run_reference(cfg, digits)  # same file: recomputed, not reused
    assert on_test["evaluation"] == "test" and on_validation["evaluation"] == "validation"
    assert on_test["accuracy"] != on_validation["accuracy"]


@pytest.mark.parametrize("strategy", ["random", "margin"])
def test_pool_subset_scores_only_a_seeded_subset_of_unlabelled_rows(strategy, digits, monkeypatch):
    cfg = config(strategy, n_iterations=4, pool_subset=50)
    scored = []
    original = loop.BufferedActiveLearner.query

    def recording(self, X_pool, *args, **kwargs):
        scored.append(X_pool.copy())
        return original(self, X_pool, *args, **kwargs)

    monkeypatch.setattr(loop.BufferedActiveLearner, "query", recording)
    run = run_active_learning(cfg, digits, progress=False)
    assert [len(x) for x in scored] == [50] * 4
    _, splits = prepare(cfg, digits)
    X = digits.X_train.reshape(len(digits.X_train), -1)
    labelled = list(splits.initial)
    for k, rows in enumerate(scored):
        # Every scored row is an unlabelled pool row at that point.
        unlabelled = np.setdiff1d(splits.pool, labelled)
        assert all((X[unlabelled] == row).all(axis=1).any() for row in rows)
        labelled += run.queried[5 * k: 5 * k + 5].tolist()
    again = run_active_learning(cfg, digits, progress=False)
    assert again.queried.tolist() == run.queried.tolist()  # seeded
    other = run_active_learning(config(strategy, n_iterations=4, pool_subset=51), digits, progress=False)
    assert other.queried.tolist() != run.queried.tolist()


def test_pool_subset_larger_than_the_pool_scores_everything(digits):
    a = run_active_learning(config("margin", n_iterations=2), digits, progress=False)
    b = run_active_learning(config("margin", n_iterations=2, pool_subset=10_000), digits, progress=False)
    assert a.queried.tolist() == b.queried.tolist()


def test_train_eval_size_samples_the_labelled_set(digits):
    cfg = config("random", experiment="moderate", n_iterations=2)
    full = run_active_learning(cfg, digits, progress=False)
    sampled = run_active_learning(cfg.replace(train_eval_size=20), digits, progress=False)
    assert sampled.queried.tolist() == full.queried.tolist()  # the loop itself is unchanged
    pd.testing.assert_series_equal(sampled.rows["accuracy"], full.rows["accuracy"])
    # Accuracy on 20 rows moves in steps of 1/20.
    assert np.allclose((sampled.rows["train_accuracy"] * 20) % 1, 0)
    again = run_active_learning(cfg.replace(train_eval_size=20), digits, progress=False)
    assert again.rows["train_accuracy"].tolist() == sampled.rows["train_accuracy"].tolist()


def test_cnn_with_the_cpu_levers_is_deterministic(digits):
    cfg = ProtocolConfig(pair="digits_cnn", experiment="moderate", strategy="margin", seed=3, n_iterations=2,
                         pool_subset=100, train_eval_size=50,
                         model_params={"finetune_steps": 4, "channels_last": True, "predict_batch_size": 64,
                                       "kernel_size": 3, "padding": 0})
    a = run_active_learning(cfg, digits, progress=False)
    b = run_active_learning(cfg, digits, progress=False)
    assert a.rows["fit_steps"].tolist()[1:] == [4, 4]
    assert a.queried.tolist() == b.queried.tolist()
    pd.testing.assert_frame_equal(metric_columns(a.rows), metric_columns(b.rows))
