"""Tests of helpers.report.crossed: the crossed design's tables.
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import report, stats
from report_fixtures import _body_rows


def _effects():
    cols = stats.EFFECT_COLUMNS
    return pd.DataFrame([["model", "mnist", "small", "margin", -0.012, -0.02, -0.004, 10, 10, True, "a - b"],
                         ["model", "cifar10", "small", "margin", 0.003, -0.001, 0.007, 10, 10, True, "c - d"],
                         ["schedule", "logreg/mnist", "small", "margin", 0.00456, -0.0001, 0.0092, 20, 20, True, "e"],
                         ["interaction", "all", "small", "entropy", -0.05, -0.08, -0.02, 10, 10, False, "f"]],
                        columns=cols)


def test_crossed_table(tmp_path):
    tex = report.write_crossed_table(_effects(), tmp_path / "crossed.tex").read_text()
    rows = _body_rows(tex)
    # Margin before entropy (display order); estimate on one line, its interval below it.
    margin = [r for r in rows if "& Margin &" in r][0].split(" & ")
    assert margin[:2] == ["Small", "Margin"]
    assert margin[2] == r"\textbf{\ensuremath{-}1.20}"  # excludes zero
    assert margin[3] == r"\ensuremath{+}0.30"  # includes zero: not bold
    assert margin[4:7] == ["", "", ""] and margin[7].startswith(r"\ensuremath{+}0.46")
    lines = tex.splitlines()
    below = lines[lines.index([r for r in rows if "& Margin &" in r][0]) + 1]
    assert r"\scriptsize[\ensuremath{-}2.00, \ensuremath{-}0.40]" in below
    entropy = [r for r in rows if "& Entropy &" in r][0].split(" & ")
    assert entropy[6] == r"\textbf{\ensuremath{-}5.00}"
    with pytest.raises(ValueError, match="empty"):
        report.write_crossed_table(_effects().iloc[:0], tmp_path / "empty.tex")


def test_best_by_cell_table(tmp_path):
    rows = []
    for pair, ranks in (("cifar10_cnn", {"random": 3.0, "margin": 1.5, "entropy": 1.5}),
                        ("mnist_logreg", {"random": 2.0, "margin": 1.0, "entropy": 3.0})):
        p_best = {"cifar10_cnn": {"margin": 0.6, "entropy": 0.4}, "mnist_logreg": {"margin": 1.0}}[pair]
        for strategy, rank in ranks.items():
            rows.append([pair, "small", strategy, rank, p_best.get(strategy, 0.0), 4 if pair == "cifar10_cnn" else 20,
                         2000])
    boot = pd.DataFrame(rows, columns=stats.BOOTSTRAP_COLUMNS)
    lines = report.write_best_by_cell_table(boot, tmp_path / "best.tex").read_text().splitlines()
    # Columns in the design's order: the 5 x 250 MNIST cell before the CNN on CIFAR-10.
    assert r"Model & LogReg & CNN \\" in lines and r"$k$ & 5 & 250 \\" in lines
    assert r"Seeds & 20 & 4 \\" in lines
    small = lines.index(r"Small & Margin & \shortstack{Margin \\ Entropy} \\")  # a tie stacks both, in study order
    assert lines[small + 1] == r" & \scriptsize 100\,\% & \scriptsize 60/40\,\% \\[2pt]"  # each tied one's share
    with pytest.raises(ValueError, match="no cell"):
        report.write_best_by_cell_table(boot.assign(pair="digits_logreg"), tmp_path / "none.tex")
