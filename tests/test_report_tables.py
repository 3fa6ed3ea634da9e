"""Tests of helpers.report.tables: the LaTeX tables.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers import report, stats
from report_fixtures import _body_rows, _comparison, bundle


def test_summary_table(bundle, tmp_path):
    path = report.write_summary_table(bundle["summary"], bundle["tests"], "mnist_logreg",
                                      tmp_path / "table.tex")
    tex = path.read_text()
    assert r"\begin{tabular}" in tex and r"\end{tabular}" in tex
    assert r"\begin{table" not in tex
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in tex
    assert "Stream" in tex and "stream_uncertainty" not in tex
    assert "Random" in tex and "Margin" in tex
    n_cols = len(tex.split(r"\begin{tabular}{")[1].split("}")[0])
    rows = [line for line in tex.splitlines() if line.endswith(r"\\")]
    for line in rows:  # every row spans exactly the declared columns
        spans = sum(int(k) - 1 for k in re.findall(r"\\multicolumn\{(\d+)\}", line))
        assert line.count("&") + 1 + spans == n_cols, line
    body = [line for line in rows if "&" in line and r"\multicolumn" not in line]
    # header + 2 experiments x 3 strategies
    assert len(body) == 7 and n_cols == 8
    assert r"\cmidrule(lr){5-6}" in tex
    assert r"$\pm$" in tex and "0.25" in tex  # the Wilcoxon floor is stated


def test_model_comparison_table(bundle, tmp_path):
    table = _comparison(bundle)
    path = report.write_model_comparison_table(table, tmp_path / "shallow_vs_deep.tex")
    tex = path.read_text()
    assert tex.count(r"\begin{table*}") == 1 and tex.rstrip().endswith(r"\end{table*}")
    assert r"\label{tab:shallow-vs-deep}" in tex
    caption = re.search(r"\\caption\{(.*)\}\n", tex).group(1)
    assert "logistic regression on MNIST (3 seeds)" in caption and "CNN on CIFAR-10 (3 seeds)" in caption
    assert r"$^\dagger$" in caption and "Holm" in caption and "rank" in caption
    for rule in (r"\toprule", r"\midrule", r"\bottomrule", r"\cmidrule(lr){3-6}\cmidrule(lr){7-8}"):
        assert rule in tex
    n_cols = len(tex.split(r"\begin{tabular}{")[1].split("}")[0])
    assert n_cols == 8
    for line in (line for line in tex.splitlines() if line.endswith(r"\\")):
        spans = sum(int(k) - 1 for k in re.findall(r"\\multicolumn\{(\d+)\}", line))
        assert line.count("&") + 1 + spans == n_cols, line
    body = _body_rows(tex)
    # One row per strategy (random excluded) per experiment: small and large x margin and stream.
    assert [line.split(" & ")[:2] for line in body] == [["Small", "Margin"], ["", "Stream"],
                                                        ["Large", "Margin"], ["", "Stream"]]
    margin = table[(table["experiment"] == "small") & (table["strategy"] == "margin")].set_index("metric")
    cells = body[0].removesuffix(r" \\").split(" & ")
    half = (margin.loc["aulc", "shallow_hi"] - margin.loc["aulc", "shallow_lo"]) / 2
    digits = 1 if max(abs(margin["shallow_gain"]).max(), abs(margin["deep_gain"]).max()) >= 0.01 else 2
    assert cells[2] == rf"{report.fmt_signed_pp(margin.loc['aulc', 'shallow_gain'], digits)} $\pm$ " \
                       rf"{report.fmt_pct(half, digits)}"
    assert cells[3] == f"{margin.loc['aulc', 'shallow_rank']:.1f}"
    assert cells[7].startswith(report.fmt_signed_pp(margin.loc["final_accuracy", "deep_gain"], digits))
    assert "dagger" not in "\n".join(body)  # three seeds: no Holm p below 0.05 is attainable


def test_model_comparison_table_marks_significance_and_drops_the_interval_of_one_seed(bundle, tmp_path):
    table = _comparison(bundle)
    deep = table["deep_pair"] == "cifar10_cnn"
    table.loc[deep, ["deep_lo", "deep_hi"]] = float("nan")  # as model_comparison gives one seed
    table.loc[deep, "deep_n_seeds"] = 1
    first = (table["strategy"] == "margin") & (table["experiment"] == "small") & (table["metric"] == "aulc")
    table.loc[first, "shallow_significant"] = True
    tex = report.write_model_comparison_table(table, tmp_path / "t.tex").read_text()
    assert "CNN on CIFAR-10 (1 seed)" in tex
    cells = [line.removesuffix(r" \\").split(" & ") for line in _body_rows(tex)]
    assert cells[0][2].endswith(r"$^\dagger$") and r"\dagger" not in " ".join(c for row in cells for c in row[3:])
    assert all(r"$\pm$" not in row[4] and r"$\pm$" not in row[7] for row in cells)  # deep: no interval
    assert all(r"$\pm$" in row[2] and r"$\pm$" in row[6] for row in cells)  # shallow: intervals
    with pytest.raises(ValueError):
        report.write_model_comparison_table(table.iloc[:0], tmp_path / "empty.tex")


def test_summary_table_bolds_only_a_singled_out_best(bundle, tmp_path, monkeypatch):
    plain = report.write_summary_table(bundle["summary"], bundle["tests"], "mnist_logreg", tmp_path / "a.tex",
                                       per_run=bundle["per_run"]).read_text()
    assert r"\textbf" not in plain  # three seeds single nothing out
    assert "Bold: better than every other strategy" in plain

    def fake_best(per_run, metric, alpha=0.05):
        return pd.DataFrame([{"pair": "mnist_logreg", "experiment": "small", "metric": metric, "strategy": "margin",
                              "mean": 0.9, "runner_up": "random", "max_p_holm": 0.01,
                              "singled_out": metric == "aulc"}])

    monkeypatch.setattr(stats, "best_strategy", fake_best)
    tex = report.write_summary_table(bundle["summary"], bundle["tests"], "mnist_logreg", tmp_path / "b.tex",
                                     per_run=bundle["per_run"]).read_text()
    bold_rows = [line for line in tex.splitlines() if r"\textbf" in line]
    assert len(bold_rows) == 1 and "Margin" in bold_rows[0] and bold_rows[0].count(r"\textbf") == 1


def test_macro_f1_table(bundle, tmp_path):
    tex = report.write_macro_f1_table(bundle["summary"], tmp_path / "f1.tex").read_text()
    s = bundle["summary"]
    n_pairs, n_experiments = s["pair"].nunique(), s["experiment"].nunique()
    rows = [line for line in tex.splitlines() if line.endswith(r"\\") and r"\multicolumn" not in line]
    assert len(rows) == 1 + len(s[["pair", "strategy"]].drop_duplicates())  # header + one row per (pair, strategy)
    assert tex.count(r"\multicolumn") == n_pairs
    assert all(line.count("&") == n_experiments for line in rows)
    row = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small") & (s["strategy"] == "margin")].iloc[0]
    assert f"{row['final_macro_f1_mean'] * 100:.1f} $\\pm$" in tex
    with pytest.raises(ValueError):
        report.write_macro_f1_table(s.drop(columns=["final_macro_f1_mean"]), tmp_path / "x.tex")


def _regularisation_rows():
    """A hand-made regularisation table: one experiment, two values of C, three strategies."""
    rows = []
    for c, dip, share, gains in ((0.01, 0.28, float("nan"), {"margin": (0.046, 20, 1), "entropy": (-0.123, 0, 3)}),
                                 (1.0, 0.416, 0.30, {"margin": (0.021, 19, 1), "entropy": (-0.080, 0, 3)})):
        rows.append({"experiment": "small", "C": c, "strategy": "random", "n_seeds": 20, "initial_accuracy": 0.4385,
                     "dip_accuracy": dip, "dip_top_class_share": share, "aulc_gain": float("nan"),
                     "aulc_gain_ci_lo": float("nan"), "aulc_gain_ci_hi": float("nan"),
                     "aulc_seeds_better": float("nan"), "mean_rank": 2.0, "order": 2})
        for strategy, (gain, better, order) in gains.items():
            rows.append({"experiment": "small", "C": c, "strategy": strategy, "n_seeds": 20,
                         "initial_accuracy": 0.4385, "dip_accuracy": dip - 0.05, "dip_top_class_share": share,
                         "aulc_gain": gain, "aulc_gain_ci_lo": gain - 0.004, "aulc_gain_ci_hi": gain + 0.006,
                         "aulc_seeds_better": better, "mean_rank": float(order), "order": order})
    return pd.DataFrame(rows)


def test_regularisation_table(tmp_path):
    tex = report.write_regularisation_table(_regularisation_rows(), tmp_path / "reg.tex").read_text()
    rows = [line[:-len(r" \\")].split(" & ") for line in _body_rows(tex) if not line.startswith(" &  &")]
    # Random's dip, with the top-class share where the runs record it (a dash where they do not);
    # gains with seeds better.
    assert rows[0] == ["Small", "0.01", "43.9", "28.0 (---)", r"\ensuremath{+}4.6 (20)", r"\ensuremath{-}12.3 (0)",
                       "Margin"]
    assert rows[1] == ["", "1", "43.9", "41.6 (30)", r"\ensuremath{+}2.1 (19)", r"\ensuremath{-}8.0 (0)", "Margin"]
    assert "20 seeds" in tex and tex.count(r"\begin{tabular}") == 1 and "---: not recorded" in tex
    with pytest.raises(ValueError, match="empty"):
        report.write_regularisation_table(_regularisation_rows().iloc[:0], tmp_path / "empty.tex")


def test_update_rule_table_leaves_blank_what_a_rule_did_not_run(tmp_path):
    rows = []
    for experiment, rule, strategy, gain, rank in (("small", "fixed", "random", None, 2.0),
                                                   ("small", "fixed", "margin", 0.046, 1.0),
                                                   ("small", "cold", "random", None, 2.0),
                                                   ("small", "cold", "margin", 0.041, 1.0),
                                                   ("large", "fixed", "random", None, 2.0),
                                                   ("large", "fixed", "margin", 0.0004, 1.0)):
        rows.append({"experiment": experiment, "rule": rule, "strategy": strategy, "n_seeds": 3, "aulc": 0.9,
                     "aulc_gain": gain, "mean_rank": rank})
    tex = report.write_update_rule_table(pd.DataFrame(rows), tmp_path / "rules.tex").read_text()
    large = [line for line in _body_rows(tex) if line.startswith("Large")][0]
    assert large == r"Large & Random & (90.0) & 2.0 &  &  \\"


def _stream_rows():
    base = {"strategy": "stream_uncertainty", "n_seeds": 3}
    return pd.DataFrame([
        {**base, "pair": "mnist_logreg", "experiment": "small", "inspected_per_label_mean": 38.19,
         "fallback_share_mean": 0.0, "budget_discard_share_mean": 0.9486, "confidence_discard_share_mean": 0.0252,
         "never_arrived_share_mean": 0.005014, "labeled_uncertainty_percentile_mean": 0.7301,
         "threshold_median_mean": 0.78476, "n_runs_selectivity": 3},
        {**base, "pair": "mnist_cnn", "experiment": "large", "inspected_per_label_mean": 1.0,
         "fallback_share_mean": 1.0, "budget_discard_share_mean": 0.0, "confidence_discard_share_mean": 0.0,
         "never_arrived_share_mean": 0.0, "labeled_uncertainty_percentile_mean": 0.5,
         "threshold_median_mean": 1.0, "n_runs_selectivity": 2},
        {**base, "pair": "mnist_cnn", "experiment": "small", "inspected_per_label_mean": 3.84,
         "fallback_share_mean": 0.0, "budget_discard_share_mean": float("nan"),
         "confidence_discard_share_mean": float("nan"), "never_arrived_share_mean": 0.0,
         "labeled_uncertainty_percentile_mean": float("nan"), "threshold_median_mean": float("nan"),
         "n_runs_selectivity": 0},
        {**base, "pair": "mnist_cnn", "experiment": "small", "strategy": "margin"},
    ])


def test_stream_table(tmp_path):
    path = report.write_stream_table(_stream_rows(), tmp_path / "stream.tex")
    text = path.read_text()
    rows = [line for line in text.splitlines() if line.startswith(" & ") and "Experiment" not in line]
    # One row per (pair, experiment) of the stream, experiments in the study's order; percentages x 100.
    assert rows == [" & Small & 38.2 & 0.0 & 94.9 & 2.5 & 0.50 & 0.73 & 0.785 & 3 \\\\",
                    " & Small & 3.8 & 0.0 & --- & --- & 0.00 & --- & --- & 0/3 \\\\",
                    " & Large & 1.0 & 100.0 & 0.0 & 0.0 & 0.00 & 0.50 & 1.000 & 2/3 \\\\"]
    headings = re.findall(r"\\multicolumn\{10\}\{l\}\{(.*)\} \\\\", text)
    assert headings[:2] == [r"\emph{Logistic regression on MNIST} ($k = 5$, 250 queries)",
                            r"\emph{CNN on MNIST} ($k = 250$, 50 queries)"]
    assert text.count(r"\begin{tabular}") == 1 and text.rstrip().endswith(r"\end{tabular}")


def test_stream_table_needs_stream_rows(tmp_path):
    with pytest.raises(ValueError, match="no stream_uncertainty rows"):
        report.write_stream_table(_stream_rows().query("strategy == 'margin'"), tmp_path / "stream.tex")
    assert not (tmp_path / "stream.tex").exists()
