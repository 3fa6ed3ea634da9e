"""Tests of helpers.report.build: write_all.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_stats import write_fake_tree

from helpers import report, stats
from report_fixtures import _macros, _switches, bundle


def test_write_all(bundle, tmp_path):
    paths = report.write_all(bundle["root"], out_dir=tmp_path)
    names = {p.name for p in paths}
    assert {"summary_table_mnist_logreg.tex", "summary_table_cifar10_cnn.tex", "macros.tex",
            "paired_tests.csv", "strategy_summary.csv"} <= names
    _macros(tmp_path / "macros.tex")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temp files left"
    ranks = pd.read_csv(tmp_path / "friedman_ranks.csv")
    assert set(ranks["experiment"]) >= {"all"} and {"mean_rank", "friedman_p", "cd"} <= set(ranks.columns)
    overall = ranks[ranks["experiment"] == "all"]
    for _, group in overall.groupby("pair"):
        k = len(group)
        assert group["mean_rank"].sum() == pytest.approx(k * (k + 1) / 2)
    balance = pd.read_csv(tmp_path / "query_balance.csv")
    assert len(balance) == len(bundle["per_run"]) and balance["normalized_entropy"].between(0, 1).all()


def test_write_all_adds_the_fine_tuning_ablation_where_it_exists(tmp_path):
    root = write_fake_tree(tmp_path / "results", pairs=("mnist_logreg",), seeds=(42, 43, 44))
    out = tmp_path / "generated"
    names = {p.name for p in report.write_all(root, out)}
    assert "update_rules_mnist_logreg.tex" not in names  # no ablation folder yet
    assert r"\HaveUpdateRulesfalse" in (out / "macros.tex").read_text()
    assert r"\HavePilotsfalse" in (out / "macros.tex").read_text()
    assert r"\HaveComparisonfalse" in (out / "macros.tex").read_text()  # no deep model: no comparison
    assert "shallow_vs_deep.tex" not in names and "ComparisonBestChanges" not in (out / "macros.tex").read_text()

    write_fake_tree(stats.ablation_root(root, "mnist_logreg") / "cold", pairs=("mnist_logreg",), seeds=(42, 43),
                    reference=False)
    names = {p.name for p in report.write_all(root, out)}
    assert {"update_rules_mnist_logreg.tex", "update_rules_mnist_logreg.csv",
            "update_rule_rankings_mnist_logreg.csv"} <= names
    table = pd.read_csv(out / "update_rules_mnist_logreg.csv")
    assert list(dict.fromkeys(table["rule"])) == ["fixed", "cold"]
    assert set(table["n_seeds"]) == {2}  # compared on the seeds both rules have
    tex = (out / "update_rules_mnist_logreg.tex").read_text()
    assert r"\multicolumn{2}{c}{fixed budget}" in tex and r"\multicolumn{2}{c}{cold refit}" in tex
    assert tex.count(r"\\") == 2 + 2 * 3 + 2  # header rows, 2 experiments x 3 strategies, notes
    macros = (out / "macros.tex").read_text()
    assert r"\HaveUpdateRulestrue" in macros
    assert r"\newcommand{\MnistLogregSmallColdMarginAulcGain}" in macros
    rankings = pd.read_csv(out / "update_rule_rankings_mnist_logreg.csv")
    assert rankings["same_order"].dtype == bool


def test_write_all_writes_the_stream_table_only_where_the_stream_ran(tmp_path):
    root = write_fake_tree(tmp_path / "results", pairs=("mnist_logreg",), seeds=(42, 43))
    out = tmp_path / "generated"
    names = {p.name for p in report.write_all(root, out)}
    assert "stream.tex" in names and _switches(out / "macros.tex")["StreamTable"] is True
    assert r"\emph{Logistic regression on MNIST}" in (out / "stream.tex").read_text()

    bare = write_fake_tree(tmp_path / "bare", pairs=("mnist_logreg",), seeds=(42, 43),
                           strategies=("random", "margin"))
    names = {p.name for p in report.write_all(bare, out)}   # the same folder: the old table goes
    assert "stream.tex" not in names and not (out / "stream.tex").exists()
    assert _switches(out / "macros.tex")["StreamTable"] is False


def test_write_all_writes_the_comparison_with_both_models(bundle, tmp_path):
    names = {p.name for p in report.write_all(bundle["root"], out_dir=tmp_path)}
    assert {"shallow_vs_deep.tex", "shallow_vs_deep.csv"} <= names
    assert _switches(tmp_path / "macros.tex")["Comparison"] is True
    csv = pd.read_csv(tmp_path / "shallow_vs_deep.csv")
    assert list(csv.columns) == stats.COMPARISON_COLUMNS and len(csv) == 2 * 2 * 2
    defs = _macros(tmp_path / "macros.tex")
    best = stats.best_strategies(pd.read_csv(tmp_path / "friedman_ranks.csv"), "mnist_logreg", "cifar10_cnn")
    assert defs["ComparisonNExperiments"] == "2"
    assert defs["ComparisonBestChanges"] == str(int((~best["same_best"]).sum()))
    for row in best.itertuples():
        e = row.experiment.capitalize()
        assert defs[f"MnistLogreg{e}BestRankStrategy"] == stats.strategy_label(row.shallow_best)
        assert defs[f"Shallow{e}BestRankStrategy"] == rf"\MnistLogreg{e}BestRankStrategy"
        assert defs[f"Deep{e}BestRankStrategy"] == rf"\CifarTenCnn{e}BestRankStrategy"
        assert defs[f"Comparison{e}SameBest"] == ("the same" if row.same_best else "a different")
        assert defs[f"Comparison{e}SameOrder"] == ("the same" if row.same_order else "different")


@pytest.mark.parametrize("seeds, shown", [((42,), False), ((42, 43), True)])
def test_crossed_design_is_shown_once_its_model_effects_have_intervals(tmp_path, seeds, shown):
    cells = ("mnist_logreg_b250", "cifar10_logreg", "mnist_cnn", "cifar10_cnn")
    write_fake_tree(tmp_path / "results", pairs=cells, experiments=("small",), seeds=seeds, reference=False)
    report.write_all(tmp_path / "results", tmp_path / "generated")
    assert _switches(tmp_path / "generated" / "macros.tex")["Crossed"] is shown
    assert (tmp_path / "generated" / "crossed_effects.tex").exists()  # the table, whatever the seeds
    assert "Small &" in (tmp_path / "generated" / "best_by_cell.tex").read_text()


def test_macro_f1_table_and_sentence_cover_the_study_cells(tmp_path):
    write_fake_tree(tmp_path / "results", pairs=("mnist_logreg", "cifar10_cnn", "mnist_cnn"),
                    experiments=("small",), seeds=(42, 43), reference=False)
    report.write_all(tmp_path / "results", tmp_path / "generated")
    tex = (tmp_path / "generated" / "macro_f1.tex").read_text()
    assert "MNIST, logistic regression" in tex and "CIFAR-10, CNN" in tex and "MNIST, CNN" not in tex
    summary = pd.read_csv(tmp_path / "generated" / "strategy_summary.csv")
    assert "mnist_cnn" in set(summary["pair"])  # the crossed cell is summarised, only not in this table
    assert sorted(report.study_rows(summary)["pair"].unique()) == ["cifar10_cnn", "mnist_logreg"]
