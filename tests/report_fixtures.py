"""Shared fixtures of the tests of :mod:`helpers.report`: a fake result tree's frames and readers of
the generated macros.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_stats import write_fake_tree

from helpers import stats


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


def _comparison(bundle):
    ranks = stats.friedman_ranks(bundle["per_run"], by=("pair", "experiment"))
    return stats.model_comparison(bundle["tests"], ranks, "mnist_logreg", "cifar10_cnn")


def _body_rows(tex):
    rows = [line for line in tex.splitlines() if line.endswith(r"\\")]
    return [line for line in rows if r"\multicolumn" not in line and not line.startswith("Experiment &")]
