"""Tests of helpers.stats.ablation: the strategies compared under several update rules."""

import pandas as pd
import pytest

from helpers import stats
from test_stats import write_fake_tree


def _per_run(rule, values):
    """values: strategy -> list of per-seed AULCs (seeds 42, 43, ...)."""
    rows = [{"pair": "p", "experiment": "small", "strategy": s, "seed": 42 + i, "aulc": v,
             "final_accuracy": v + 0.1, "initial_accuracy": 0.5, "lowest_accuracy": v - 0.2, "rule": rule}
            for s, vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_table_gains_are_paired_by_seed_and_orders_follow_ranks():
    fixed = _per_run("fixed", {"random": [0.5, 0.7, 0.9], "margin": [0.52, 0.72, 0.92], "entropy": [0.4, 0.6, 0.8]})
    cold = _per_run("cold", {"random": [0.5, 0.7, 0.9], "margin": [0.45, 0.65, 0.85], "entropy": [0.51, 0.71, 0.91]})
    table = stats.update_rule_table(pd.concat([fixed, cold], ignore_index=True))
    assert list(table.columns) == stats.UPDATE_RULE_COLUMNS
    assert list(table["rule"].unique()) == ["fixed", "cold"]  # first-seen order kept
    row = table.set_index(["rule", "strategy"])
    assert row.loc[("fixed", "margin"), "aulc_gain"] == pytest.approx(0.02)
    assert row.loc[("cold", "margin"), "aulc_gain"] == pytest.approx(-0.05)
    assert row.loc[("fixed", "margin"), "mean_rank"] == 1.0
    assert row.loc[("cold", "entropy"), "order"] == 1
    assert row.loc[("fixed", "random"), "n_seeds"] == 3
    assert row.loc[("cold", "margin"), "lowest_accuracy"] == pytest.approx(0.45)
    # final = aulc + 0.1 against an initial 0.5: seed 42 of cold margin ends at 0.55, entropy's at 0.5.
    assert row.loc[("fixed", "entropy"), "final_change"] == pytest.approx(0.1 + 0.1)  # mean of 0.0, 0.2, 0.4
    assert row.loc[("fixed", "entropy"), "n_declined"] == 0
    assert row.loc[("cold", "margin"), "n_declined"] == 0

    agreement = stats.ranking_agreement(table).set_index("rule")
    assert agreement.loc["fixed", "ranking"] == "margin > random > entropy"
    assert agreement.loc["fixed", "same_order"] and agreement.loc["fixed", "kendall_tau"] == pytest.approx(1.0)
    assert agreement.loc["cold", "ranking"] == "entropy > random > margin"
    assert not agreement.loc["cold", "same_best"]
    assert agreement.loc["cold", "kendall_tau"] == pytest.approx(-1.0)


def test_load_update_rules_keeps_only_runs_every_rule_has(tmp_path):
    write_fake_tree(tmp_path / "fixed", pairs=("mnist_logreg",), seeds=(42, 43, 44), reference=False)
    write_fake_tree(tmp_path / "cold", pairs=("mnist_logreg",), seeds=(42, 43), reference=False)
    grid = stats.RunGrid(pairs=["mnist_logreg"])
    per_run = stats.load_update_rules({"fixed": tmp_path / "fixed", "cold": tmp_path / "cold"}, grid)
    assert set(per_run["rule"]) == {"fixed", "cold"}
    assert set(per_run["seed"]) == {42, 43}  # seed 44 only exists for one rule
    assert len(per_run[per_run["rule"] == "fixed"]) == len(per_run[per_run["rule"] == "cold"])


def test_load_update_rules_names_a_rule_without_runs(tmp_path):
    write_fake_tree(tmp_path / "fixed", pairs=("mnist_logreg",), reference=False)
    (tmp_path / "cold").mkdir()
    with pytest.raises(FileNotFoundError, match="rule 'cold'"):
        stats.load_update_rules({"fixed": tmp_path / "fixed", "cold": tmp_path / "cold"},
                                stats.RunGrid(pairs=["mnist_logreg"]))


def test_final_change_counts_the_seeds_that_decline():
    fixed = _per_run("fixed", {"random": [0.3, 0.45, 0.5]})  # final 0.4, 0.55, 0.6 against 0.5
    row = stats.update_rule_table(fixed).iloc[0]
    assert row["final_change"] == pytest.approx((-0.1 + 0.05 + 0.1) / 3) and row["n_declined"] == 1


def test_an_experiment_is_compared_over_the_rules_that_ran_it(tmp_path):
    """The large ablation ran one rule, fewer strategies and seeds than the small one."""
    write_fake_tree(tmp_path / "fixed", pairs=("mnist_logreg",), experiments=("small", "large"),
                    strategies=("random", "margin", "stream_uncertainty"), seeds=(42, 43, 44), reference=False)
    write_fake_tree(tmp_path / "converge", pairs=("mnist_logreg",), experiments=("small", "large"),
                    strategies=("random", "margin", "stream_uncertainty"), seeds=(42, 43), reference=False)
    write_fake_tree(tmp_path / "cold", pairs=("mnist_logreg",), experiments=("small",),
                    strategies=("random", "margin", "stream_uncertainty"), seeds=(42, 43), reference=False)
    # converge's large has only random and margin
    for path in (tmp_path / "converge" / "mnist_logreg" / "large" / "stream_uncertainty").glob("*"):
        path.unlink()
    roots = {"fixed": tmp_path / "fixed", "converge": tmp_path / "converge", "cold": tmp_path / "cold"}
    per_run = stats.load_update_rules(roots, stats.RunGrid(pairs=["mnist_logreg"]))
    large = per_run[per_run["experiment"] == "large"]
    assert set(large["rule"]) == {"fixed", "converge"} and set(large["strategy"]) == {"random", "margin"}
    assert set(large["seed"]) == {42, 43}
    small = per_run[per_run["experiment"] == "small"]
    assert set(small["rule"]) == {"fixed", "converge", "cold"} and len(small) == 3 * 3 * 2
    assert list(dict.fromkeys(per_run["rule"])) == ["fixed", "converge", "cold"]
    table = stats.update_rule_table(per_run)
    assert set(table.loc[table["experiment"] == "large", "rule"]) == {"fixed", "converge"}
