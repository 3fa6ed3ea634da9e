"""Tests of helpers.stats.regularisation: the strategies compared at several values of C."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats as sps

from helpers import stats
from test_stats import write_fake_tree

NAN = np.nan


def _runs(curves):
    """curves: (C, strategy, seed) -> (accuracies, top-class shares) at 10, 20, 30 labels."""
    rows = []
    for (c, strategy, seed), (accuracy, shares) in curves.items():
        for it, (acc, share) in enumerate(zip(accuracy, shares)):
            rows.append({"pair": "mnist_logreg", "experiment": "small", "strategy": strategy, "seed": seed,
                         "iteration": it, "n_labeled": 10 * (it + 1), "frac_labeled": (it + 1) / 100,
                         "accuracy": acc, "macro_f1": acc, "train_accuracy": 1.0, "fit_seconds": 0.1,
                         "query_seconds": 0.0, "n_inspected": NAN, "n_fallback": NAN,
                         "top_class_share": share, "C": c})
    return pd.DataFrame(rows)


OLD = (NAN, NAN, NAN)  # a run written before top_class_share existed
CURVES = {
    (0.01, "random", 42): ((0.5, 0.3, 0.6), (0.2, 0.7, 0.3)),
    (0.01, "random", 43): ((0.4, 0.2, 0.5), OLD),
    (0.01, "margin", 42): ((0.5, 0.35, 0.7), OLD),
    (0.01, "margin", 43): ((0.4, 0.25, 0.7), OLD),
    (1.0, "random", 42): ((0.6, 0.65, 0.7), (0.15, 0.2, 0.25)),
    (1.0, "random", 43): ((0.6, 0.65, 0.7), (0.15, 0.2, 0.25)),
    (1.0, "margin", 42): ((0.6, 0.62, 0.64), (0.15, 0.2, 0.25)),
    (1.0, "margin", 43): ((0.6, 0.62, 0.64), (0.15, 0.2, 0.25)),
}


def test_table_reports_the_dip_gains_and_ranks_per_c():
    table = stats.regularisation_table(_runs(CURVES))
    assert list(table.columns) == stats.REGULARISATION_COLUMNS
    assert list(zip(table["C"], table["strategy"])) == [(0.01, "random"), (0.01, "margin"),
                                                          (1.0, "random"), (1.0, "margin")]
    row = table.set_index(["C", "strategy"])
    # C = 0.01, random: mean curve 0.45, 0.25, 0.55 -> dip 0.25 at iteration 1; only seed 42
    # carries top_class_share (0.7 there).
    r = row.loc[(0.01, "random")]
    assert r["initial_accuracy"] == pytest.approx(0.45)
    assert r["dip_accuracy"] == pytest.approx(0.25) and r["dip_iteration"] == 1
    assert r["dip_top_class_share"] == pytest.approx(0.7) and r["n_runs_top_class"] == 1
    # AULC (trapezoid over 10..30 labels, normalised): 0.425 and 0.325.
    assert r["aulc"] == pytest.approx(0.375) and r["final_accuracy"] == pytest.approx(0.55)
    assert np.isnan(r["aulc_gain"]) and r["mean_rank"] == 2.0 and r["order"] == 2
    # margin: AULC 0.475 and 0.4 -> paired gains 0.05 and 0.075 over random.
    m = row.loc[(0.01, "margin")]
    assert m["aulc"] == pytest.approx(0.4375) and m["n_seeds"] == 2
    assert m["dip_accuracy"] == pytest.approx(0.30) and np.isnan(m["dip_top_class_share"])
    assert m["n_runs_top_class"] == 0
    half = sps.t.ppf(0.975, 1) * np.std([0.05, 0.075], ddof=1) / np.sqrt(2)
    assert m["aulc_gain"] == pytest.approx(0.0625)
    assert (m["aulc_gain_ci_lo"], m["aulc_gain_ci_hi"]) == pytest.approx((0.0625 - half, 0.0625 + half))
    assert m["aulc_seeds_better"] == 2 and m["n_pairs"] == 2
    assert m["final_gain"] == pytest.approx(0.15) and m["final_seeds_better"] == 2
    assert m["mean_rank"] == 1.0 and m["order"] == 1
    # C = 1: no dip (0.65 after a query, above 0.6), random first; every run carries the share.
    r1, m1 = row.loc[(1.0, "random")], row.loc[(1.0, "margin")]
    assert r1["dip_accuracy"] == pytest.approx(0.65) and r1["dip_accuracy"] > r1["initial_accuracy"]
    assert r1["dip_top_class_share"] == pytest.approx(0.2) and r1["n_runs_top_class"] == 2
    assert m1["aulc_gain"] == pytest.approx(0.62 - 0.65) and m1["aulc_seeds_better"] == 0
    assert m1["aulc_gain_ci_lo"] == pytest.approx(m1["aulc_gain"])  # no spread: a point interval
    assert r1["order"] == 1 and m1["mean_rank"] == 2.0
    # Without a random run the gains are undefined, not zero.
    alone = stats.regularisation_table(_runs({k: v for k, v in CURVES.items() if k[1] == "margin"}))
    assert alone["aulc_gain"].isna().all() and alone["aulc_seeds_better"].isna().all()
    assert set(alone["n_pairs"]) == {0} and set(alone["mean_rank"]) == {1.0}


def test_roots_put_the_study_first_and_skip_its_own_value(tmp_path):
    roots = stats.regularisation_roots(tmp_path, "mnist_logreg", values=(1.0, 0.01, 0.1))
    assert list(roots) == [stats.STUDY_C, 0.1, 1.0]
    assert roots[stats.STUDY_C] == tmp_path
    assert roots[1.0] == tmp_path / "ablations" / "mnist_logreg_C" / "C1"
    assert stats.c_folder(0.1) == "C0.1"
    assert list(stats.regularisation_roots(tmp_path, "mnist_logreg")) == [0.01, 0.1, 1.0]
    # A value run earlier is found on disk even when not asked; other folders are not values.
    (tmp_path / "ablations" / "mnist_logreg_C" / "C10").mkdir(parents=True)
    (tmp_path / "ablations" / "mnist_logreg_C" / "Cfoo").mkdir()
    assert list(stats.regularisation_roots(tmp_path, "mnist_logreg", values=[1])) == [0.01, 1.0, 10.0]


def test_load_leaves_out_a_value_without_runs(tmp_path):
    write_fake_tree(tmp_path, pairs=("mnist_logreg",), seeds=(42, 43), reference=False)
    roots = stats.regularisation_roots(tmp_path, "mnist_logreg", values=(0.1, 1.0))
    write_fake_tree(roots[1.0], pairs=("mnist_logreg",), seeds=(42,), reference=False)
    grid = stats.RunGrid(pairs=["mnist_logreg"])
    with pytest.warns(UserWarning, match="C = 0.1: no finished run"):
        runs = stats.load_regularisation(roots, grid)
    assert sorted(runs["C"].unique()) == [0.01, 1.0]
    assert set(runs.loc[runs["C"] == 1.0, "seed"]) == {42}
    table = stats.regularisation_table(runs)
    assert set(table.loc[table["C"] == 0.01, "n_seeds"]) == {2}
    assert set(table.loc[table["C"] == 1.0, "n_seeds"]) == {1}
    with pytest.raises(FileNotFoundError, match="no finished run"), pytest.warns(UserWarning):
        stats.load_regularisation({0.1: tmp_path / "nothing"}, grid)


def test_compare_reads_every_value_on_disk_and_only_the_ablations_experiments(tmp_path):
    assert stats.compare_regularisation(tmp_path, "mnist_logreg") is None  # no ablation
    write_fake_tree(tmp_path, pairs=("mnist_logreg",), experiments=("small", "large"), seeds=(42, 43),
                    reference=False)
    assert stats.compare_regularisation(tmp_path, "mnist_logreg") is None  # the study's grid alone
    (stats.regularisation_root(tmp_path, "mnist_logreg") / "C1").mkdir(parents=True)
    assert stats.compare_regularisation(tmp_path, "mnist_logreg") is None  # a value folder without runs
    write_fake_tree(stats.regularisation_root(tmp_path, "mnist_logreg") / "C1", pairs=("mnist_logreg",),
                    experiments=("small",), seeds=(42, 43), reference=False)
    table = stats.compare_regularisation(tmp_path, "mnist_logreg")
    # The study's C and C = 1, in the ablation's experiment only (the study's large is left out).
    assert sorted(set(table["C"])) == [stats.STUDY_C, 1.0] and set(table["experiment"]) == {"small"}
    assert set(table["n_seeds"]) == {2}
    with pytest.warns(stats.OutsideGridWarning, match="experiment large"):  # what compare leaves out
        expected = stats.regularisation_table(stats.load_regularisation(
            {stats.STUDY_C: tmp_path, 1.0: stats.regularisation_root(tmp_path, "mnist_logreg") / "C1"},
            stats.RunGrid(pairs=["mnist_logreg"], experiments=["small"])))
    pd.testing.assert_frame_equal(table, expected)
    only = stats.compare_regularisation(tmp_path, "mnist_logreg",
                                        stats.RunGrid(pairs=["mnist_logreg"], strategies=["random", "margin"]))
    assert set(only["strategy"]) == {"random", "margin"}
    assert stats.compare_regularisation(tmp_path, "mnist_logreg",
                                        stats.RunGrid(pairs=["mnist_logreg"], experiments=["large"])) is None
