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
