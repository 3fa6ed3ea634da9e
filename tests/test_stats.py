"""Tests of helpers.stats on hand-made curves and a small fake result tree.

``write_fake_tree`` is also used by the tests of helpers.figures and helpers.report.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers import stats
from helpers.config import PROTOCOL_VERSION

INITIAL = {"small": 10, "moderate": 150, "large": 800}


def write_fake_tree(root: Path, pairs=("mnist_logreg", "cifar10_cnn"),
                    experiments=("small", "large"),
                    strategies=("random", "margin", "stream_uncertainty"),
                    seeds=(42, 43, 44), n_iterations: int = 12, query_size: int = 20,
                    n_pool: int = 1000, reference: bool = True) -> Path:
    """Write a small synthetic result tree in the layout helpers.results produces.

    Accuracy rises from 0.5 towards 0.9; ``margin`` and the stream strategy gain
    a fixed bonus over random, plus seed noise. A run stops early when the next
    query would exceed the pool (with the defaults: the large experiment after
    10 of 12 iterations).
    """
    rng = np.random.default_rng(0)
    boost = {"random": 0.0, "margin": 0.03, "stream_uncertainty": 0.015}
    classes = [str(c) for c in range(4)]
    for pair in pairs:
        for experiment in experiments:
            n0 = INITIAL[experiment]
            for strategy in strategies:
                for seed in seeds:
                    rows = []
                    n = n0
                    for it in range(n_iterations + 1):
                        if n > n_pool:
                            break
                        progress = 1 - np.exp(-n / 300)
                        acc = 0.5 + 0.4 * progress + boost.get(strategy, 0.0) * (it > 0) \
                            + rng.normal(0, 0.005)
                        rows.append({
                            "pair": pair, "experiment": experiment, "strategy": strategy,
                            "seed": seed, "iteration": it, "n_labeled": n,
                            "frac_labeled": n / n_pool, "accuracy": acc, "macro_f1": acc - 0.01,
                            "train_accuracy": min(1.0, acc + 0.05), "fit_seconds": 0.1,
                            "query_seconds": 0.01, "fit_steps": 10,
                            "n_queried": query_size if it > 0 else 0, "cold_refit": 0,
                            "n_inspected": (3 * query_size if strategy == "stream_uncertainty"
                                            and it > 0 else np.nan),
                            "n_fallback": (1 if strategy == "stream_uncertainty" and it > 0 else np.nan),
                        })
                        n += query_size
                    folder = root / pair / experiment / strategy
                    folder.mkdir(parents=True, exist_ok=True)
                    pd.DataFrame(rows).to_csv(folder / f"seed{seed}.csv", index=False)
                    cm = np.diag([20, 18, 15, 19]) + 1
                    meta = {
                        "config": {"pair": pair, "experiment": experiment, "strategy": strategy,
                                   "seed": seed, "query_size": query_size,
                                   "n_iterations": n_iterations},
                        "classes": classes, "confusion_matrix": cm.tolist(),
                        "stopped_early": len(rows) < n_iterations + 1,
                        "stop_reason": "pool exhausted" if len(rows) < n_iterations + 1 else None,
                        "n_pool": n_pool, "protocol_version": PROTOCOL_VERSION,
                        "queried_labels": rng.integers(0, len(classes), query_size * (len(rows) - 1)).tolist(),
                    }
                    (folder / f"seed{seed}.json").write_text(json.dumps(meta))
        if reference:
            (root / pair / "reference").mkdir(parents=True, exist_ok=True)
            for seed in seeds:
                (root / pair / "reference" / f"seed{seed}.json").write_text(json.dumps(
                    {"pair": pair, "seed": seed, "n_train": n_pool, "protocol_version": PROTOCOL_VERSION,
                     "accuracy": 0.92 + 0.001 * (seed - 42), "macro_f1": 0.91}))
    # Folders that are not runs must be ignored.
    (root / "notebooks" / "x" / "y").mkdir(parents=True, exist_ok=True)
    (root / "notebooks" / "x" / "y" / "seed1.csv").write_text("junk\n1\n")
    return root


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return write_fake_tree(tmp_path_factory.mktemp("results"))


# --------------------------------------------------------------------------- loading
def test_load_runs_reads_all_csvs_and_ignores_other_folders(tree):
    df = stats.load_runs(tree)
    assert set(df["pair"]) == {"mnist_logreg", "cifar10_cnn"}
    assert set(df["experiment"]) == {"small", "large"}
    assert set(df["strategy"]) == {"random", "margin", "stream_uncertainty"}
    assert set(df["seed"]) == {42, 43, 44}
    assert len(df.groupby(stats.RUN_KEYS)) == 2 * 2 * 3 * 3
    only = stats.load_runs(tree, pairs=["cifar10_cnn"])
    assert set(only["pair"]) == {"cifar10_cnn"}


def test_runs_written_before_the_added_columns_load_with_nan(tree):
    # The fake tree's CSVs are of the first layout: none of the added columns.
    df = stats.load_runs(tree)
    assert set(stats.RUN_COLUMNS) <= set(df.columns)
    assert df[list(stats.OPTIONAL_RUN_COLUMNS[1:])].isna().all().all()
    assert stats.runs_with_column(df, "top_class_share") == 0


def test_runs_with_column_counts_runs_that_carry_it(tmp_path):
    root = write_fake_tree(tmp_path, pairs=("mnist_logreg",), experiments=("small",), seeds=(42, 43))
    # Two new runs record the collapse column; only the stream's records the stream columns.
    for strategy in ("margin", "stream_uncertainty"):
        path = root / "mnist_logreg" / "small" / strategy / "seed43.csv"
        frame = pd.read_csv(path).assign(top_class=3, top_class_share=0.25,
                                          theta=1.0 if strategy == "stream_uncertainty" else np.nan)
        frame.to_csv(path, index=False)
    df = stats.load_runs(root)
    assert len(df.groupby(stats.RUN_KEYS)) == 6
    assert stats.runs_with_column(df, "top_class_share") == 2
    assert stats.runs_with_column(df, "theta") == 1
    assert stats.runs_with_column(df, "n_discarded_budget") == 0  # absent from every CSV: NaN
    assert stats.runs_with_column(df[df["strategy"] == "margin"], "top_class_share") == 1
    assert stats.runs_with_column(df, "accuracy") == 6
    assert stats.runs_with_column(df.iloc[:0], "accuracy") == 0
    assert stats.runs_with_column(df, "no_such_column") == 0
    assert stats.per_run_metrics(df)["aulc"].notna().all()  # the summaries read mixed runs as before


def test_load_runs_skips_unfinished_runs(tmp_path):
    root = write_fake_tree(tmp_path, pairs=("digits_logreg",), experiments=("small",),
                           seeds=(42, 43))
    (root / "digits_logreg" / "small" / "margin" / "seed43.json").unlink()
    with pytest.warns(UserWarning, match="unfinished"):
        df = stats.load_runs(root)
    assert len(df.groupby(stats.RUN_KEYS)) == 5
    assert len(stats.load_runs(root, complete_only=False).groupby(stats.RUN_KEYS)) == 6


def test_stale_runs_and_references_are_never_summarised(tmp_path):
    root = write_fake_tree(tmp_path, pairs=("digits_logreg",), experiments=("small",), seeds=(42, 43))
    for path in (root / "digits_logreg" / "small" / "margin" / "seed43.json",
                 root / "digits_logreg" / "reference" / "seed43.json"):
        meta = json.loads(path.read_text())
        meta.pop("protocol_version")  # written before versioning: version 1
        path.write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="stale run"):
        df = stats.load_runs(root)
    assert len(df.groupby(stats.RUN_KEYS)) == 5
    assert ("margin", 43) not in set(zip(df["strategy"], df["seed"]))
    with pytest.warns(UserWarning, match="stale run JSON"):
        assert len(stats.load_run_meta(root)) == 5
    with pytest.warns(UserWarning, match="stale reference"):
        assert list(stats.load_reference(root)["seed"]) == [42]


def test_load_runs_errors_clearly_when_empty(tmp_path):
    with pytest.raises(FileNotFoundError, match="no run CSV"):
        stats.load_runs(tmp_path)
    with pytest.raises(FileNotFoundError):
        stats.load_runs(tmp_path / "missing")


def test_load_run_meta_and_reference(tree, tmp_path):
    meta = stats.load_run_meta(tree)
    assert len(meta) == 36
    first = meta[0]
    assert Path(first["csv_path"]).exists() and first["csv_path"].endswith(".csv")
    assert {"pair", "experiment", "strategy", "seed", "confusion_matrix"} <= set(first)
    ref = stats.load_reference(tree)
    assert len(ref) == 6 and set(stats.REFERENCE_COLUMNS) <= set(ref.columns)
    empty = stats.load_reference(tmp_path)
    assert empty.empty and list(empty.columns) == list(stats.REFERENCE_COLUMNS)


# --------------------------------------------------------------------------- CI
def _outside_grid(tmp_path):
    root = write_fake_tree(tmp_path, pairs=("digits_logreg",), experiments=("small", "large"),
                           seeds=(42, 43, 44))
    grid = stats.RunGrid(pairs=("digits_logreg",), experiments=("small", "large"),
                         strategies=("random", "margin"), seeds=(42, 43), n_iterations={"digits_logreg": 12})
    return root, grid


def test_grid_keeps_what_was_asked_and_warns_about_the_rest(tmp_path):
    root, grid = _outside_grid(tmp_path)
    with pytest.warns(stats.OutsideGridWarning) as caught:
        df = stats.load_runs(root, grid)
    assert set(df["strategy"]) == {"random", "margin"} and set(df["seed"]) == {42, 43}
    assert len(df.groupby(stats.RUN_KEYS)) == 2 * 2 * 2
    message = str(caught[0].message)
    assert "10 run(s) outside the asked grid" in message
    assert "seed 44: 4" in message and "strategy stream_uncertainty: 6" in message
    assert len(stats.load_run_meta(root, grid)) == 8
    with pytest.warns(stats.OutsideGridWarning, match="1 reference"):
        assert list(stats.load_reference(root, grid)["seed"]) == [42, 43]
    assert list(grid) == ["digits_logreg"]  # a grid stands where a list of pairs is expected


def test_grid_leaves_unreported_fields_out_without_a_warning(tmp_path):
    root, grid = _outside_grid(tmp_path)
    quiet_seeds = stats.RunGrid(pairs=grid.pairs, strategies=grid.strategies, seeds=grid.seeds,
                                n_iterations=grid.n_iterations, unreported=("seed",))
    with pytest.warns(stats.OutsideGridWarning) as caught:
        df = stats.load_runs(root, quiet_seeds)
    assert set(df["seed"]) == {42, 43} and set(df["strategy"]) == {"random", "margin"}
    message = str(caught[0].message)  # the other strategy is still reported, the other seed not
    assert len(caught) == 1 and "strategy stream_uncertainty: 6" in message and "seed 44" not in message
    with warnings.catch_warnings():
        warnings.simplefilter("error", stats.OutsideGridWarning)
        assert list(stats.load_reference(root, quiet_seeds)["seed"]) == [42, 43]
        silent = stats.RunGrid(pairs=grid.pairs, strategies=grid.strategies, seeds=grid.seeds,
                               n_iterations=grid.n_iterations, unreported=["strategy", "seed"])
        pd.testing.assert_frame_equal(stats.load_runs(root, silent), df)
    assert silent.unreported == ("strategy", "seed")
    with pytest.raises(ValueError, match="unknown field"):
        stats.RunGrid(pairs=grid.pairs, unreported=("experiments",))
    with pytest.raises(TypeError):
        stats.RunGrid(pairs=grid.pairs, unreported="seed")


def test_grid_iteration_count(tmp_path):
    root, grid = _outside_grid(tmp_path)
    other = stats.RunGrid(pairs=grid.pairs, n_iterations={"digits_logreg": 250})
    with pytest.warns(stats.OutsideGridWarning, match=r"n_iterations 12 \(asked 250\): 18"):
        with pytest.raises(FileNotFoundError, match="no run CSV"):
            stats.load_runs(root, other)
    assert stats.load_run_meta(root, other) == []
    with pytest.raises(TypeError):
        stats.RunGrid(pairs="digits_logreg")


def test_report_and_figures_pass_a_grid_on(tmp_path):
    from helpers import report

    root, grid = _outside_grid(tmp_path)
    with pytest.warns(stats.OutsideGridWarning):
        report.write_all(root, out_dir=tmp_path / "generated", pairs=grid)
    per_run = pd.read_csv(tmp_path / "generated" / "per_run_metrics.csv")
    assert set(per_run["seed"]) == {42, 43} and set(per_run["strategy"]) == {"random", "margin"}


def _mark_iterations(root: Path, stem: str) -> tuple[Path, dict]:
    json_path = root / f"{stem}.json"
    meta = json.loads(json_path.read_text())
    rows = len(pd.read_csv(root / f"{stem}.csv"))
    meta["iterations_run"] = rows - 1
    json_path.write_text(json.dumps(meta))
    return root / f"{stem}.csv", meta


@pytest.mark.parametrize("damage", ["rows lost", "last row cut", "last row cut at a comma", "empty"])
def test_truncated_csv_beside_an_intact_json_is_unfinished(tmp_path, damage):
    root = write_fake_tree(tmp_path, pairs=("digits_logreg",), experiments=("small",), seeds=(42, 43))
    csv_path, meta = _mark_iterations(root, "digits_logreg/small/margin/seed43")
    _mark_iterations(root, "digits_logreg/small/margin/seed42")
    text = csv_path.read_text()
    if damage == "rows lost":
        csv_path.write_text("".join(text.splitlines(keepends=True)[:-3]))
    elif damage == "last row cut":
        csv_path.write_text(text[: len(text) - 25])
    elif damage == "last row cut at a comma":
        csv_path.write_text(text[: text.rfind(",", 0, len(text) - 25)] + "\n")
    else:
        csv_path.write_text("")
    with pytest.warns(UserWarning, match="truncated run CSV|unreadable run CSV"):
        df = stats.load_runs(root)
    assert ("margin", 43) not in set(zip(df["strategy"], df["seed"]))
    assert ("margin", 42) in set(zip(df["strategy"], df["seed"]))  # intact and checked
    assert len(stats.load_run_meta(root)) == 5


def test_unreadable_json_and_reference_are_skipped_with_a_warning(tmp_path):
    root = write_fake_tree(tmp_path, pairs=("digits_logreg",), experiments=("small",), seeds=(42, 43))
    (root / "digits_logreg" / "small" / "random" / "seed42.json").write_text('{"complete": tr')
    (root / "digits_logreg" / "reference" / "seed43.json").write_text("")
    with pytest.warns(UserWarning, match="unfinished"):
        assert len(stats.load_runs(root).groupby(stats.RUN_KEYS)) == 5
    with pytest.warns(UserWarning, match="unreadable run JSON"):
        assert len(stats.load_run_meta(root)) == 5
    with pytest.warns(UserWarning, match="unreadable reference JSON"):
        assert list(stats.load_reference(root)["seed"]) == [42]


def test_mean_ci_uses_t_quantile():
    values = [1.0, 2.0, 3.0, 4.0]
    mean, lo, hi = stats.mean_ci(values)
    half = sps.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2.0
    assert mean == pytest.approx(2.5)
    assert (lo, hi) == pytest.approx((2.5 - half, 2.5 + half))
    assert hi - mean == pytest.approx(3.182446305 * 1.290994449 / 2, rel=1e-6)


def test_mean_ci_single_value_and_nan():
    assert stats.mean_ci([0.7]) == (0.7, 0.7, 0.7)
    assert stats.mean_ci([0.7, np.nan]) == (0.7, 0.7, 0.7)
    assert all(np.isnan(stats.mean_ci([np.nan])))


def test_curve_summary_band_matches_mean_ci(tree):
    df = stats.load_runs(tree)
    summary = stats.curve_summary(df)
    row = summary[(summary["pair"] == "mnist_logreg") & (summary["experiment"] == "small")
                  & (summary["strategy"] == "margin") & (summary["iteration"] == 3)].iloc[0]
    raw = df[(df["pair"] == "mnist_logreg") & (df["experiment"] == "small")
             & (df["strategy"] == "margin") & (df["iteration"] == 3)]["accuracy"]
    assert (row["mean"], row["ci_lo"], row["ci_hi"]) == pytest.approx(stats.mean_ci(raw))
    assert row["n_seeds"] == 3 and row["n_labeled"] == 10 + 3 * 20


def test_curve_summary_single_seed_has_zero_width_band(tmp_path):
    df = stats.load_runs(write_fake_tree(tmp_path, seeds=(42,), pairs=("digits_logreg",)))
    summary = stats.curve_summary(df)
    assert (summary["ci_lo"] == summary["mean"]).all() and (summary["ci_hi"] == summary["mean"]).all()


# --------------------------------------------------------------------------- AULC
def test_aulc_constant_and_linear_curves():
    x = [10, 20, 40, 110]
    assert stats.aulc(x, [0.8] * 4) == pytest.approx(0.8)
    assert stats.aulc(x, [0.8] * 4, normalize=False) == pytest.approx(0.8 * 100)
    # Linear from 0.5 at 0 to 1.0 at 100: mean 0.75, raw area 75, whatever the spacing.
    xs = np.array([0, 10, 35, 100])
    assert stats.aulc(xs, 0.5 + 0.005 * xs) == pytest.approx(0.75)
    assert stats.aulc(xs, 0.5 + 0.005 * xs, normalize=False) == pytest.approx(75.0)
    # Order does not matter.
    assert stats.aulc(xs[::-1], (0.5 + 0.005 * xs)[::-1]) == pytest.approx(0.75)


def test_aulc_degenerate_cases():
    assert stats.aulc([10], [0.6]) == pytest.approx(0.6)
    assert stats.aulc([10], [0.6], normalize=False) == 0.0
    assert np.isnan(stats.aulc([], []))
    assert stats.aulc([0, 10, 20], [0.5, np.nan, 0.7]) == pytest.approx(0.6)


# --------------------------------------------------------------------------- labels to target
def test_labels_to_target_interpolates():
    x, y = [0, 100, 200], [0.5, 0.7, 0.9]
    assert stats.labels_to_target(x, y, 0.6) == pytest.approx(50.0)
    assert stats.labels_to_target(x, y, 0.85) == pytest.approx(175.0)
    assert stats.labels_to_target(x, y, 0.9) == pytest.approx(200.0)


def test_labels_to_target_never_and_start():
    assert np.isnan(stats.labels_to_target([0, 100], [0.5, 0.7], 0.8))
    assert stats.labels_to_target([10, 100], [0.85, 0.9], 0.8) == 10.0
    # First crossing counts, even when the curve dips afterwards.
    assert stats.labels_to_target([0, 10, 20, 30], [0.5, 0.9, 0.6, 0.95], 0.7) == pytest.approx(5.0)


def test_labels_to_target_table_ratio(tree):
    table = stats.labels_to_target_table(stats.load_runs(tree))
    sub = table[(table["pair"] == "mnist_logreg") & (table["experiment"] == "small")]
    assert list(sub["strategy"]) == ["random", "margin", "stream_uncertainty"]
    rnd = sub[sub["strategy"] == "random"].iloc[0]
    assert rnd["ratio"] == pytest.approx(1.0) and rnd["reached"]
    # Margin has a constant +0.03 bonus, so it reaches random's final accuracy sooner.
    assert sub[sub["strategy"] == "margin"]["ratio"].iloc[0] < 1.0


# --------------------------------------------------------------------------- per-run metrics
def test_per_run_metrics(tree):
    per_run = stats.per_run_metrics(stats.load_runs(tree))
    assert len(per_run) == 36
    small = per_run[(per_run["experiment"] == "small")]
    assert (small["iterations"] == 12).all() and (small["n_labeled_final"] == 250).all()
    assert (small["labels_acquired"] == 240).all()
    # Stopped early: integrated over the 10 iterations that exist.
    large = per_run[(per_run["experiment"] == "large")]
    assert (large["iterations"] == 10).all() and (large["n_labeled_final"] == 1000).all()
    stream = per_run[per_run["strategy"] == "stream_uncertainty"]
    assert np.allclose(stream["inspected_per_label"], 3.0)
    assert np.allclose(stream["fallback_share"], stream["iterations"] / stream["labels_acquired"])
    assert per_run[per_run["strategy"] != "stream_uncertainty"]["fallback_share"].isna().all()
    assert per_run[per_run["strategy"] != "stream_uncertainty"]["total_inspected"].isna().all()


def test_stream_selectivity_against_hand_counts():
    """Two query iterations of a one-pass stream on a pool of 100 with 10 initial labels."""
    def run(**columns):
        base = {"pair": "p", "experiment": "small", "strategy": "stream_uncertainty", "seed": 1,
                "iteration": [0, 1, 2], "n_labeled": [10, 15, 20], "frac_labeled": [0.1, 0.15, 0.2],
                "n_queried": [0, 5, 5], "accuracy": [0.5, 0.6, 0.7], "macro_f1": 0.5, "train_accuracy": 1.0,
                "fit_seconds": 0.0, "query_seconds": 0.0, "n_inspected": [np.nan, 20, 30], "n_fallback": [np.nan, 0, 0]}
        return pd.DataFrame({**base, **columns})

    full = stats.per_run_metrics(run(n_discarded_budget=[np.nan, 12, 20], n_discarded_confidence=[np.nan, 3, 5],
                                     labeled_uncertainty_percentile=[np.nan, 0.8, 0.6],
                                     theta=[1.0, 0.9, 0.7])).iloc[0]
    assert full["budget_discard_share"] == pytest.approx(32 / 50)  # 50 arrivals, 10 labelled
    assert full["confidence_discard_share"] == pytest.approx(8 / 50)
    assert full["labeled_uncertainty_percentile"] == pytest.approx(0.7)  # 5 labels at 0.8, 5 at 0.6
    assert full["threshold_median"] == pytest.approx(0.8)  # the query iterations' 0.9 and 0.7, not the start's 1.0
    forced = stats.per_run_metrics(run(theta=[1.0, 0.9, 0.7], n_fallback=[np.nan, 0, 5])).iloc[0]
    assert forced["threshold_median"] == pytest.approx(0.9)  # iteration 2's labels were all forced
    all_forced = stats.per_run_metrics(run(theta=[1.0, 0.9, 0.7], n_fallback=[np.nan, 5, 5])).iloc[0]
    assert np.isnan(all_forced["threshold_median"])
    assert full["never_arrived_share"] == pytest.approx(1 - 50 / 90)  # 90 unlabelled, 50 arrived
    weighted = stats.per_run_metrics(run(n_queried=[0, 2, 8], labeled_uncertainty_percentile=[np.nan, 1.0, 0.5]))
    assert weighted["labeled_uncertainty_percentile"].iloc[0] == pytest.approx((2 * 1.0 + 8 * 0.5) / 10)
    old = stats.per_run_metrics(run()).iloc[0]  # a run written before the columns existed
    assert np.isnan(old["budget_discard_share"]) and np.isnan(old["labeled_uncertainty_percentile"])
    assert np.isnan(old["threshold_median"])
    assert old["never_arrived_share"] == pytest.approx(1 - 50 / 90)
    both = pd.concat([stats.per_run_metrics(run(n_discarded_budget=[np.nan, 12, 20],
                                                n_discarded_confidence=[np.nan, 3, 5])),
                      stats.per_run_metrics(run(seed=2))])
    summary = stats.strategy_summary(both).iloc[0]
    assert summary["n_seeds"] == 2 and summary["n_runs_selectivity"] == 1
    assert summary["budget_discard_share_mean"] == pytest.approx(32 / 50)  # the run that records it


def test_strategy_summary(tree):
    summary = stats.strategy_summary(stats.per_run_metrics(stats.load_runs(tree)))
    assert len(summary) == 12 and (summary["n_seeds"] == 3).all()
    assert list(summary["strategy"][:3]) == ["random", "margin", "stream_uncertainty"]
    assert (summary["aulc_ci_lo"] <= summary["aulc_mean"]).all()


# --------------------------------------------------------------------------- paired tests
def _per_run(diffs, base=0.8, metric="aulc", pair="p", experiment="small", extra=None):
    rows = []
    for i, d in enumerate(diffs):
        rows.append({"pair": pair, "experiment": experiment, "strategy": "random", "seed": 42 + i,
                     metric: base + 0.01 * i})
        rows.append({"pair": pair, "experiment": experiment, "strategy": "margin", "seed": 42 + i,
                     metric: base + 0.01 * i + d})
    for strategy, ds in (extra or {}).items():
        for i, d in enumerate(ds):
            rows.append({"pair": pair, "experiment": experiment, "strategy": strategy,
                         "seed": 42 + i, metric: base + 0.01 * i + d})
    return pd.DataFrame(rows)


def test_wilcoxon_five_positive_pairs_cannot_be_significant():
    res = stats.paired_tests(_per_run([0.01, 0.02, 0.03, 0.04, 0.05]), "aulc")
    row = res.iloc[0]
    assert row["n_pairs"] == 5 and row["n_better"] == 5
    assert row["p_value"] == pytest.approx(0.0625)
    assert row["min_attainable_p"] == pytest.approx(0.0625)
    assert row["mean_diff"] == pytest.approx(0.03)
    assert not row["significant"]


def test_wilcoxon_edge_cases():
    zeros = stats.paired_tests(_per_run([0.0, 0.0, 0.0]), "aulc").iloc[0]
    assert zeros["p_value"] == 1.0 and not zeros["significant"]
    single = stats.paired_tests(_per_run([0.05]), "aulc").iloc[0]
    assert np.isnan(single["p_value"]) and np.isnan(single["p_holm"]) and not single["significant"]
    six = stats.paired_tests(_per_run([0.01, 0.02, 0.03, 0.04, 0.05, 0.06]), "aulc").iloc[0]
    assert six["p_value"] == pytest.approx(0.03125) and six["significant"]


def test_min_attainable_p():
    assert stats.min_attainable_p(5) == pytest.approx(0.0625)
    assert stats.min_attainable_p(6) == pytest.approx(0.03125)
    assert stats.min_attainable_p(1) == 1.0
    assert np.isnan(stats.min_attainable_p(0))
    assert "0.0625" in stats.paired_tests.__doc__ and "never" in stats.paired_tests.__doc__


def test_holm_values_order_and_monotonicity():
    raw = np.array([0.04, 0.01, 0.03, np.nan])
    adj = stats.holm(raw)
    # sorted 0.01, 0.03, 0.04 -> 3*0.01, 2*0.03, max(0.06, 1*0.04)
    assert adj[:3] == pytest.approx([0.06, 0.03, 0.06])
    assert np.isnan(adj[3])
    order = np.argsort(raw[:3])
    assert np.all(np.diff(adj[:3][order]) >= 0)
    assert np.all(adj[:3] >= raw[:3])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_paired_tests_holm_within_family():
    six_up = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]
    per_run = _per_run(six_up, extra={"entropy": six_up, "least_confident": [0.0] * 6})
    res = stats.paired_tests(per_run, "aulc").set_index("strategy")
    assert list(res.index) == ["least_confident", "margin", "entropy"]
    assert res.loc["margin", "p_value"] == pytest.approx(0.03125)
    # Three tests in the family: 3 * 0.03125 for the smallest, then monotone.
    assert res.loc["margin", "p_holm"] == pytest.approx(0.09375)
    assert res.loc["entropy", "p_holm"] == pytest.approx(0.09375)
    assert res.loc["least_confident", "p_holm"] == 1.0
    assert not res["significant"].any()
