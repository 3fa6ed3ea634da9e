"""Tests of helpers.stats.composition: class composition of the queried labels."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import stats


def meta(labels, strategy="margin", seed=42, query_size=5, n_classes=4):
    return {"pair": "digits_logreg", "experiment": "small", "strategy": strategy, "seed": seed,
            "classes": [str(c) for c in range(n_classes)], "config": {"query_size": query_size},
            "queried_labels": list(labels)}


def test_blocks_cover_the_iterations_and_shares_sum_to_one():
    labels = [0] * 10 + [1] * 10 + [2, 3] * 5  # 30 labels, 6 iterations of 5
    table = stats.query_composition([meta(labels)], n_blocks=3)
    assert sorted(table["block"].unique()) == [1, 2, 3]
    spans = table.drop_duplicates("block")[["first_iteration", "last_iteration"]].values.tolist()
    assert spans == [[1, 2], [3, 4], [5, 6]]
    shares = table.groupby("block")["share"].sum()
    assert np.allclose(shares, 1.0)
    first = table[table["block"] == 1].set_index("class")["count"]
    assert first.tolist() == [10, 0, 0, 0]
    last = table[table["block"] == 3].set_index("class")["share"]
    assert last.tolist() == [0, 0, 0.5, 0.5]


def test_fewer_iterations_than_blocks_and_runs_without_labels():
    table = stats.query_composition([meta([0, 1, 2, 3, 0]), {**meta([]), "queried_labels": None}], n_blocks=10)
    assert table["block"].unique().tolist() == [1]
    assert table["count"].sum() == 5


def test_first_rounds_balance():
    uniform = meta([0, 1, 2, 3] * 5, strategy="random")
    skewed = meta([0] * 15 + [1] * 5, strategy="entropy")
    table = stats.first_rounds_balance([uniform, skewed], rounds=4).set_index("strategy")
    assert table.loc["random", "normalized_entropy"] == pytest.approx(1.0)
    assert table.loc["random", "classes_covered"] == 4 and table.loc["random", "max_share"] == 0.25
    assert table.loc["entropy", "classes_covered"] == 2 and table.loc["entropy", "max_share"] == 0.75
    assert 0 < table.loc["entropy", "normalized_entropy"] < 1
    assert (table["n_labels"] == 20).all() and (table["rounds"] == 4).all()
    # Only the first rounds count.
    late = meta([0] * 10 + [1, 2, 3, 0, 1] * 10)
    assert stats.first_rounds_balance([late], rounds=2)["classes_covered"].iloc[0] == 1


def test_composition_names_the_classes_as_the_run_does():
    run = meta([0, 1, 1, 2, 3] * 2, n_classes=4)
    run["classes"] = ["airplane", "automobile", "bird", "cat"]
    table = stats.query_composition([run], n_blocks=1)
    assert dict(zip(table["class"], table["class_name"])) == {0: "airplane", 1: "automobile", 2: "bird", 3: "cat"}
