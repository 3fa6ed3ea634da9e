"""Tests of helpers.report: the LaTeX table and the macros file."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers import report, stats
from test_stats import write_fake_tree

NEWCOMMAND = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{([^\n]*)\} % .+$")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    root = write_fake_tree(tmp_path_factory.mktemp("results"))
    runs = stats.load_runs(root)
    per_run = stats.per_run_metrics(runs)
    tests = pd.concat([stats.paired_tests(per_run, m) for m in ("aulc", "final_accuracy")],
                      ignore_index=True)
    return {
        "root": root,
        "per_run": per_run,
        "summary": stats.strategy_summary(per_run),
        "tests": tests,
        "reference": stats.load_reference(root),
        "labels": stats.labels_to_target_table(runs),
        "meta": stats.load_run_meta(root),
    }


NEWIF = re.compile(r"^\\newif\\ifHave([A-Za-z]+)\\Have\1(true|false) % .+$")


def _switches(path):
    """Return {role: True/False} from the \\newif lines of a macros file."""
    return {m.group(1): m.group(2) == "true"
            for m in map(NEWIF.match, path.read_text().splitlines()) if m}


def _macros(path):
    defs = {}
    for line in path.read_text().splitlines():
        if line.startswith("%") or NEWIF.match(line):
            continue
        match = NEWCOMMAND.match(line)
        assert match, f"not a valid \\newcommand line: {line!r}"
        assert match.group(1) not in defs
        defs[match.group(1)] = match.group(2)
    return defs


def test_macro_names_are_letters_only_and_deterministic():
    assert report.macro_name("mnist_logreg", "small", "margin", "FinalAcc") == \
        "MnistLogregSmallMarginFinalAcc"
    assert report.macro_name("cifar10_cnn", "large", "stream_uncertainty") == \
        "CifarTenCnnLargeStreamUncertainty"
    assert report.macro_part("seed42") == "SeedFortyTwo"
    assert report.macro_part("x123") == "XOneTwoThree"
    with pytest.raises(ValueError):
        report.macro_name("__")


def test_write_macros_content(bundle, tmp_path):
    path = report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "macros.tex",
                               reference=bundle["reference"], labels_table=bundle["labels"],
                               meta=bundle["meta"])
    defs = _macros(path)
    assert all(re.fullmatch(r"[A-Za-z]+", name) for name in defs)
    s = bundle["summary"]
    row = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small")
            & (s["strategy"] == "margin")].iloc[0]
    assert defs["MnistLogregSmallMarginFinalAcc"] == f"{row['final_accuracy_mean'] * 100:.1f}"
    assert defs["MnistLogregSmallMarginAulc"] == f"{row['aulc_mean'] * 100:.1f}"
    assert defs["MnistLogregRefAcc"] == "92.1"  # mean of 0.920, 0.921, 0.922
    assert defs["CifarTenCnnRefAcc"] == "92.1"
    assert defs["NSeeds"] == "3" and defs["MinAttainableP"] == "0.25"
    assert defs["MnistLogregSmallMinP"] == "0.25"
    assert defs["MnistLogregSmallBestStrategy"] == "Margin"
    e = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small")]
    assert defs["MnistLogregSmallLowestFinalAcc"] == f"{e['final_accuracy_mean'].min() * 100:.1f}"
    assert defs["MnistLogregSmallHighestFinalAcc"] == f"{e['final_accuracy_mean'].max() * 100:.1f}"
    assert defs["MnistLogregSmallInitialAcc"] == f"{e['initial_accuracy_mean'].mean() * 100:.1f}"
    assert defs["MnistLogregNPool"] == "1{,}000"
    assert defs["MnistLogregSmallStreamUncertaintyInspectedPerLabel"] == "3.0"
    assert "MnistLogregSmallRandomInspectedPerLabel" not in defs
    stream = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small")
               & (s["strategy"] == "stream_uncertainty")].iloc[0]
    assert defs["MnistLogregSmallStreamUncertaintyFallbackShare"] == f"{stream['fallback_share_mean'] * 100:.1f}"
    assert "MnistLogregSmallMarginFallbackShare" not in defs
    assert defs["MnistLogregSmallMarginAulcDiff"].startswith(r"\ensuremath{+}")
    assert re.fullmatch(r"\d\.\d{3}", defs["MnistLogregSmallMarginAulcP"])
    assert "MnistLogregSmallRandomAulcP" not in defs
    assert re.fullmatch(r"\d", defs["MnistLogregSmallMarginAulcBetter"])
    assert defs["MnistLogregSmallRandomLabelsRatio"] == "1.00"
    # Role aliases: the paper text says \\Shallow... and \\Deep...
    assert _switches(path) == {"Shallow": True, "Deep": True}
    assert defs["ShallowPair"] == "mnist_logreg" and defs["DeepPair"] == "cifar10_cnn"
    assert defs["ShallowDataset"] == "MNIST" and defs["DeepDataset"] == "CIFAR-10"
    assert defs["ShallowSmallMarginFinalAcc"] == r"\MnistLogregSmallMarginFinalAcc"
    assert defs["DeepRefAcc"] == r"\CifarTenCnnRefAcc"
    aliased = {name[len("Shallow"):] for name in defs if name.startswith("Shallow")}
    assert {name[len("MnistLogreg"):] for name in defs if name.startswith("MnistLogreg")} <= aliased
    # Same input, same file.
    again = report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "again.tex",
                                reference=bundle["reference"], labels_table=bundle["labels"],
                                meta=bundle["meta"])
    assert again.read_text() == path.read_text()


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


def test_latex_escape_and_formatting():
    assert report.latex_escape("least_confident 10%") == r"least\_confident 10\%"
    assert report.fmt_pct(0.91234) == "91.2"
    assert report.fmt_signed_pp(-0.0031) == r"\ensuremath{-}0.3"
    assert report.fmt_signed_pp(0.00001) == "0.0"
    assert report.fmt_p(0.0625) == "0.063"  # half up in decimal (the one rounding rule), not half-even
    assert report.fmt_p(0.0001) == r"\ensuremath{<}0.001"
    assert report.fmt_p(float("nan")) == "n/a"


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


def test_roles_prefer_study_pairs_and_may_be_empty(bundle, tmp_path):
    assert report.role_pair("Shallow", ["digits_logreg", "mnist_logreg"]) == "mnist_logreg"
    assert report.role_pair("Shallow", ["digits_logreg", "digits_cnn"]) == "digits_logreg"
    assert report.role_pair("Deep", ["digits_logreg", "digits_cnn"]) == "digits_cnn"
    assert report.role_pair("Deep", ["mnist_logreg"]) is None
    only_shallow = bundle["summary"][bundle["summary"]["pair"] == "mnist_logreg"]
    path = report.write_macros(only_shallow, bundle["tests"], tmp_path / "macros.tex")
    assert _switches(path) == {"Shallow": True, "Deep": False}
    defs = _macros(path)
    assert "ShallowPair" in defs and not any(name.startswith("Deep") for name in defs)


def test_close_strategies_get_two_decimals():
    close = pd.DataFrame({"aulc_mean": [0.9170, 0.9173], "final_accuracy_mean": [0.9168, 0.9175]})
    far = pd.DataFrame({"aulc_mean": [0.79, 0.84], "final_accuracy_mean": [0.86, 0.89]})
    assert report.experiment_digits(close) == 2
    assert report.experiment_digits(far) == 1
    assert report.fmt_signed_pp(0.0003, 2) == r"\ensuremath{+}0.03"


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


def test_pilot_tables_render_the_summaries_that_exist(tmp_path):
    pilots = tmp_path / "pilots"
    (pilots / "mnist_logreg_finetune").mkdir(parents=True)
    pd.DataFrame({"experiment": ["small", "small", "large"], "finetune_max_iter": [2, 3, 2], "n_runs": 4,
                  "val_aulc": [0.81, 0.8108, 0.913], "val_final_accuracy": [0.87, 0.871, 0.9135],
                  "fit_seconds_per_query": [0.011, 0.0114, 0.34]}).to_csv(
        pilots / "mnist_logreg_finetune" / "summary.csv", index=False)
    written = report.write_pilot_tables(tmp_path, tmp_path / "out")
    assert [p.name for p in written] == ["pilot_finetune_mnist_logreg.tex"]  # the others are absent
    tex = written[0].read_text()
    assert "Small & 2 & 81.00 & 87.00 & 0.011" in tex and " & 3 & 81.08 & 87.10 & 0.011" in tex
    assert tex.count(r"\midrule") == 2  # after the header, and between the two experiments


def _comparison(bundle):
    ranks = stats.friedman_ranks(bundle["per_run"], by=("pair", "experiment"))
    return stats.model_comparison(bundle["tests"], ranks, "mnist_logreg", "cifar10_cnn")


def _body_rows(tex):
    rows = [line for line in tex.splitlines() if line.endswith(r"\\")]
    return [line for line in rows if r"\multicolumn" not in line and not line.startswith("Experiment &")]


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


def test_comparison_macros_count_the_changes(tmp_path):
    best = pd.DataFrame({"experiment": ["small", "moderate", "large"], "same_best": [True, False, False]})
    path = report.write_macros(pd.DataFrame({"pair": ["mnist_logreg"], "experiment": ["small"],
                                             "strategy": ["random"], "n_seeds": [1], "aulc_mean": [0.5],
                                             "aulc_ci_hi": [0.5], "final_accuracy_mean": [0.6],
                                             "final_accuracy_ci_hi": [0.6]}),
                               pd.DataFrame(), tmp_path / "macros.tex", comparison_best=best,
                               switches={"Comparison": True})
    defs = _macros(path)
    assert defs["ComparisonBestChanges"] == "2" and defs["ComparisonNExperiments"] == "3"
    assert defs["ComparisonModerateSameBest"] == "a different" and defs["ComparisonSmallSameBest"] == "the same"
    assert _switches(path)["Comparison"] is True


def test_summary_table_bolds_only_a_singled_out_best(bundle, tmp_path, monkeypatch):
    plain = report.write_summary_table(bundle["summary"], bundle["tests"], "mnist_logreg", tmp_path / "a.tex",
                                       per_run=bundle["per_run"]).read_text()
    assert r"\textbf" not in plain  # three seeds single nothing out
    assert "Bold: better than every other strategy" in plain

    def fake_best(per_run, metric, alpha=0.05):
        return pd.DataFrame([{"pair": "mnist_logreg", "experiment": "small", "metric": metric, "strategy": "margin",
                              "mean": 0.9, "runner_up": "random", "max_p_holm": 0.01,
                              "singled_out": metric == "aulc"}])

    monkeypatch.setattr(report.stats, "best_strategy", fake_best)
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


def test_macros_of_the_stream_share_the_lowest_accuracy_and_the_grid_cost(bundle, tmp_path):
    meta = [dict(m, timings={"total_seconds": 90.0}) for m in bundle["meta"]]
    path = report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "macros.tex",
                               reference=bundle["reference"], labels_table=bundle["labels"], meta=meta)
    defs = _macros(path)
    t = bundle["tests"]
    gains = t[(t["pair"] == "mnist_logreg") & (t["experiment"] == "small") & (t["metric"] == "aulc")]
    gains = gains.set_index("strategy")["mean_diff"]
    assert defs["MnistLogregSmallStreamShareOfMargin"] == f"{100 * gains['stream_uncertainty'] / gains['margin']:.0f}"
    s = bundle["summary"]
    e = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small")]
    assert defs["MnistLogregSmallLowestAcc"] == f"{e['lowest_accuracy_mean'].mean() * 100:.1f}"
    n_runs = sum(m["pair"] == "mnist_logreg" for m in meta)
    assert defs["MnistLogregGridCoreMinutes"] == f"{round(n_runs * 90 / 60)}"
    assert "MnistLogregGridCoreMinutes" not in _macros(report.write_macros(
        bundle["summary"], bundle["tests"], tmp_path / "plain.tex", meta=bundle["meta"]))


def test_core_minutes_of_the_runs_and_of_runs_plus_references(bundle, tmp_path):
    meta = [dict(m, timings={"total_seconds": 90.0}) for m in bundle["meta"]]
    reference = bundle["reference"].assign(fit_seconds=600.0)
    defs = _macros(report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "macros.tex",
                                       reference=reference, meta=meta))
    n_runs = sum(m["pair"] == "mnist_logreg" for m in meta)
    n_refs = int((reference["pair"] == "mnist_logreg").sum())
    assert n_runs and n_refs
    assert defs["MnistLogregGridCoreMinutes"] == report.fmt_num(n_runs * 1.5, 0)  # the runs only
    assert defs["MnistLogregGridAndReferencesCoreMinutes"] == report.fmt_num(n_runs * 1.5 + n_refs * 10, 0)
    assert defs["ShallowGridAndReferencesCoreMinutes"] == r"\MnistLogregGridAndReferencesCoreMinutes"
    without = _macros(report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "noref.tex", meta=meta))
    assert without["MnistLogregGridAndReferencesCoreMinutes"] == "n/a"


# --------------------------------------------------------------------------- one rounding rule
@pytest.mark.parametrize("value, digits, expected", [(3.55, 1, "3.6"), (2.35, 1, "2.4"), (0.125, 2, "0.13"),
                                                     (-3.55, 1, "-3.6"), (-2.35, 1, "-2.4"), (-0.125, 2, "-0.13"),
                                                     (2.5, 0, "3"), (-2.5, 0, "-3"), (-0.04, 1, "0.0"),
                                                     (1.0, 2, "1.00")])
def test_every_number_rounds_half_up_in_decimal(value, digits, expected):
    assert report.fmt_num(value, digits) == expected


def test_formatters_share_the_half_up_rule():
    assert report.fmt_pct(0.0355) == "3.6" and report.fmt_pct(0.0235) == "2.4"
    assert report.fmt_pct(0.00125, 2) == "0.13" and report.fmt_pct(-0.0355) == "-3.6"
    assert report.fmt_signed_pp(0.0355) == r"\ensuremath{+}3.6"
    assert report.fmt_signed_pp(-0.0355) == r"\ensuremath{-}3.6"
    assert report.fmt_signed_pp(-0.0004) == "0.0"  # rounds to zero: no sign
    assert report.fmt_p(0.0625) == "0.063" and report.fmt_p(0.0004) == r"\ensuremath{<}0.001"
    assert report.fmt_num(12345.5, 0, thousands=True) == "12{,}346"
    assert report.fmt_num(204570, 2, scale=-6) == "0.20"
    assert report.fmt_sig(2 / 2 ** 20, 4) == "1.907e-06" and report.fmt_sig(0.00125, 2) == "0.0013"
    assert report.fmt_num(float("nan")) == report.fmt_sig(None) == "n/a"
    assert "half" in report.fmt_num.__doc__ + report.round_half_up.__doc__


# --------------------------------------------------------------------------- generated prose
def test_per_experiment_phrase_names_each_strategy_once():
    three = {"small": "margin", "moderate": "margin", "large": "margin"}
    assert report.per_experiment_phrase(three) == "margin sampling in all three experiments"
    assert report.per_experiment_phrase({"small": "margin", "moderate": "margin", "large": "stream_uncertainty"}) == (
        r"margin sampling in \emph{small} and \emph{moderate} and the stream in \emph{large}")
    assert report.per_experiment_phrase({"small": "entropy"}) == r"entropy sampling in \emph{small}"
    tied = report.per_experiment_phrase({"small": "margin,stream_uncertainty", "large": "margin,stream_uncertainty"})
    assert tied == "margin sampling and the stream (tied) in both experiments"
    three_ways = report.per_experiment_phrase({"small": "margin", "moderate": "entropy", "large": "random"})
    assert three_ways == (r"margin sampling in \emph{small}; entropy sampling in \emph{moderate}; "
                          r"and random sampling in \emph{large}")


def test_change_phrase_never_prints_a_signed_loss():
    assert report.change_phrase(-0.015) == "loses 1.5 points"
    assert report.change_phrase(0.0235) == "gains 2.4 points"  # half up
    assert report.change_phrase(-0.00125, 2) == "loses 0.13 points"
    assert report.change_phrase(0.0004) == report.change_phrase(-0.0004) == "neither gains nor loses (0.0 points)"
    assert report.change_phrase(float("nan")) == "n/a"
    assert "-" not in report.change_phrase(-0.5) and "+" not in report.change_phrase(0.5)


def test_same_order_phrase_reads_as_one_clause():
    assert report.same_order_phrase({"fixed": True, "converge": True, "cold": True}) == (
        "in the same order as the fixed budget")
    assert report.same_order_phrase({"fixed": True, "converge": False, "cold": False}) == (
        "in a different order from the fixed budget")
    assert report.same_order_phrase({"fixed": True, "converge": True, "cold": False}) == (
        "in the same order as the fixed budget under fine-tuning to convergence "
        "but in a different order under the cold refit")
    assert "the same and" not in report.same_order_phrase({"fixed": True, "converge": False, "cold": True})


def test_order_agreement_phrase_names_the_swapped_strategies():
    rows = []
    for pair in ("mnist_logreg", "cifar10_cnn"):
        for experiment in ("small", "large"):
            for strategy, acc in (("margin", 0.70), ("random", 0.60), ("least_confident", 0.50)):
                f1 = acc - 0.01
                if (pair, experiment, strategy) == ("cifar10_cnn", "small", "least_confident"):
                    f1 = 0.65  # above random's macro-F1 while below it in accuracy
                rows.append({"pair": pair, "experiment": experiment, "strategy": strategy, "aulc_mean": acc,
                             "final_accuracy_mean": acc, "final_macro_f1_mean": f1})
    summary = pd.DataFrame(rows)
    agree = summary[summary["pair"] == "mnist_logreg"]
    assert report.order_agreement_phrase(agree) == "in both experiments"
    assert report.order_agreement_phrase(summary) == (
        r"in three of the four experiments; in CIFAR-10 \emph{small} macro-F1 puts least confidence ahead of "
        "random sampling")


def test_join_phrases_and_number_words():
    assert report.join_phrases([]) == "" and report.join_phrases(["a"]) == "a"
    assert report.join_phrases(["a", "b"]) == "a and b" and report.join_phrases(["a", "b", "c"]) == "a, b and c"
    assert report.number_word(3) == "three" and report.number_word(20) == "20"
    assert report.all_experiments_phrase(2) == "both experiments"
    assert report.all_experiments_phrase(3) == "all three experiments"


def test_sentence_macros_are_written(bundle, tmp_path):
    defs = _macros(report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "macros.tex",
                                       ranks=stats.friedman_ranks(bundle["per_run"], by=("pair", "experiment"))))
    assert defs["MnistLogregSmallMarginAulcChange"].startswith(("gains ", "loses ", "neither"))
    assert defs["MnistLogregBestRankByExperiment"] == "margin sampling in both experiments"  # the fake tree's best
    if "final_macro_f1_mean" in bundle["summary"]:
        assert defs["MacroFOneOrder"].startswith("in ")


def test_perclass_and_bootstrap_macros():
    from helpers import report as rep

    deficit = pd.DataFrame([{"pair": "mnist_logreg", "experiment": "small", "strategy": "entropy", "n_seeds": 20,
                             "gap_points": -9.67, "worst_class": 0, "worst_class_name": "0", "worst_gap_points": -4.64,
                             "worst_share_of_gap": 0.48, "confused_as": 5, "confused_as_name": "5",
                             "confusion_share": 0.469, "reference_confusion_share": 0.014,
                             "least_queried_class": "0", "most_queried_class": "5"}])
    boot = pd.DataFrame([["mnist_logreg", "small", "margin", 1.0, 0.975, 20, 2000],
                         ["mnist_logreg", "small", "entropy", 4.9, 0.025, 20, 2000]],
                        columns=["pair", "experiment", "strategy", "mean_rank", "p_best", "n_seeds", "n_resamples"])
    entries = dict((name, value) for name, value, _ in rep._perclass_entries(deficit, boot))
    assert entries["MnistLogregSmallEntropyClassGap"] == r"\ensuremath{-}9.7"
    assert entries["MnistLogregSmallEntropyWorstClassGap"] == r"\ensuremath{-}4.6"
    assert entries["MnistLogregSmallEntropyWorstClassShareOfGap"] == "48"
    assert entries["MnistLogregSmallEntropyWorstClassConfusedAs"] == "5"
    assert entries["MnistLogregSmallEntropyWorstClassConfusionShare"] == "47"
    assert entries["MnistLogregSmallBootstrapBest"] == "margin sampling"
    assert entries["MnistLogregSmallBootstrapBestP"] == "98"  # 97.5 rounds half up
    assert entries["MnistLogregSmallEntropyPBest"] == "3"


def test_generated_tables_respect_the_umask(tmp_path):
    import os

    previous = os.umask(0o022)
    try:
        written = report._atomic_write(tmp_path / "table.tex", "x\n")
        csv = report._atomic_csv(pd.DataFrame({"a": [1]}), tmp_path / "table.csv")
    finally:
        os.umask(previous)
    assert os.stat(written).st_mode & 0o777 == 0o644
    assert os.stat(csv).st_mode & 0o777 == 0o644
