"""Tests of helpers.stats.perclass against hand-computed confusion matrices."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.stats import perclass

CLASSES = ["zero", "one", "two"]


def run(strategy, seed, cm, labels=(0, 1, 2), pair="p", experiment="small"):
    return {"pair": pair, "experiment": experiment, "strategy": strategy, "seed": seed, "classes": CLASSES,
            "confusion_matrix": cm, "queried_labels": list(labels)}


RANDOM = [[8, 1, 1], [0, 10, 0], [1, 1, 8]]          # 26 of 30 right
WEAK = [[4, 1, 5], [0, 10, 0], [1, 0, 9]]            # 23 of 30: class zero lost to "two"


def meta():
    return [run("random", 1, RANDOM, labels=[0, 1, 2, 2]), run("random", 2, RANDOM),
            run("entropy", 1, WEAK, labels=[1, 1, 2, 2]), run("entropy", 2, WEAK, labels=[1, 2, 2, 2])]


def test_class_runs_recall_and_query_share():
    rows = perclass.class_runs(meta())
    first = rows[(rows["strategy"] == "entropy") & (rows["seed"] == 1)].set_index("class_name")
    assert first.loc["zero", "recall"] == pytest.approx(0.4) and first.loc["two", "recall"] == pytest.approx(0.9)
    assert first.loc["zero", "query_share"] == 0 and first.loc["two", "query_share"] == pytest.approx(0.5)


def test_class_table_deficit_by_hand():
    table = perclass.class_table(meta()).set_index(["strategy", "class_name"])
    zero = table.loc[("entropy", "zero")]
    # (4 - 8) / 30 of accuracy: -13.33 points, the whole gap is (23 - 26) / 30 = -10 points
    assert zero["gap_points"] == pytest.approx(-400 / 30)
    assert zero["share_of_gap"] == pytest.approx((-4 / 30) / (-3 / 30))
    assert zero["confused_as_name"] == "two" and zero["confusion_increase"] == pytest.approx(4)
    assert zero["confusion_share"] == pytest.approx(0.5) and zero["reference_confusion_share"] == pytest.approx(0.1)
    assert table.loc[("entropy", "two"), "gap_points"] == pytest.approx(100 / 30)
    assert table.xs("entropy")["gap_points"].sum() == pytest.approx(-10)
    assert np.isnan(table.loc[("random", "zero"), "gap_points"])
    # mean query share over the two entropy seeds: (0.5 + 0.75) / 2 for "two"
    assert table.loc[("entropy", "two"), "query_share"] == pytest.approx(0.625)


def test_deficit_summary_names_the_class_and_confusion():
    summary = perclass.deficit_summary(meta())
    assert len(summary) == 1
    row = summary.iloc[0]
    assert row["strategy"] == "entropy" and row["gap_points"] == pytest.approx(-10)
    assert row["worst_class_name"] == "zero" and row["confused_as_name"] == "two"
    assert row["least_queried_class"] == "zero" and row["most_queried_class"] == "two"


def test_runs_without_a_confusion_matrix_are_skipped():
    assert perclass.class_table([{"pair": "p", "experiment": "e", "strategy": "s", "seed": 1}]).empty


def test_class_names_are_taken_per_pair():
    other = [dict(m, pair="q", classes=["a", "b", "c"]) for m in meta()]
    table = perclass.class_table(meta() + other).set_index(["pair", "strategy", "class"])
    assert table.loc[("p", "entropy", 0), "confused_as_name"] == "two"
    assert table.loc[("q", "entropy", 0), "confused_as_name"] == "c"
