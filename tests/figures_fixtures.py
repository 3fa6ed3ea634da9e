"""Shared fixtures of the tests of :mod:`helpers.figures`: a fake result tree and its frames.

Every figure function writes non-empty PDF and PNG files, printable at their natural size
(no text under 9 pt, at most a column or a page wide); the tests check both.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import matplotlib.pyplot as plt
import matplotlib.text
import pandas as pd
import pytest
from test_stats import write_fake_tree

from helpers import figures, stats


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = write_fake_tree(tmp_path_factory.mktemp("results"), pairs=("mnist_logreg",),
                           strategies=("random", "margin", "entropy", "stream_uncertainty"))
    runs = stats.load_runs(root)
    per_run = stats.per_run_metrics(runs)
    return {
        "root": root,
        "runs": runs,
        "summary": stats.curve_summary(runs),
        "reference": stats.load_reference(root),
        "meta": stats.load_run_meta(root),
        "per_run": per_run,
        "strategy_summary": stats.strategy_summary(per_run),
    }


def _check(paths, names):
    assert [p.name for p in paths] == names
    for p in paths:
        assert p.exists() and p.stat().st_size > 1000
    assert paths[0].read_bytes().startswith(b"%PDF")
    assert paths[1].read_bytes().startswith(b"\x89PNG")
    assert not plt.get_fignums(), "figure left open"


def _comparison(per_run):
    tests = pd.concat([stats.paired_tests(per_run, m) for m in stats.COMPARISON_METRICS], ignore_index=True)
    ranks = stats.friedman_ranks(per_run, by=("pair", "experiment"))
    return stats.model_comparison(tests, ranks, "mnist_logreg", "cifar10_cnn")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    """Shallow with three seeds, deep with one (no intervals)."""
    root = write_fake_tree(tmp_path_factory.mktemp("results"), pairs=("mnist_logreg",), seeds=(42, 43, 44))
    write_fake_tree(root, pairs=("cifar10_cnn",), seeds=(42,))
    return _comparison(stats.per_run_metrics(stats.load_runs(root)))
    # test_make_all_figures: one pair only, and the exact set of names has no comparison.

# --------------------------------------------------------------------------- print size
@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Two pairs, three experiments, five strategies: the paper's layout, on little data."""
    root = write_fake_tree(tmp_path_factory.mktemp("results_full"), pairs=("mnist_logreg", "cifar10_cnn"),
                           experiments=("small", "moderate", "large"),
                           strategies=("random", "least_confident", "margin", "entropy",
                                       "stream_uncertainty"),
                           seeds=(42, 43), n_iterations=6)
    runs = stats.load_runs(root)
    meta = stats.load_run_meta(root)
    per_run = stats.per_run_metrics(runs)
    return {"runs": runs, "meta": meta, "per_run": per_run, "summary": stats.curve_summary(runs),
            "reference": stats.load_reference(root)}


@pytest.fixture
def drawn_text(monkeypatch):
    """Record every Text artist drawn while a figure is saved: {stem: [(text, fontsize), ...]}."""
    seen: dict[str, list] = {}
    save, draw = figures._save, matplotlib.text.Text.draw

    def recording_save(fig, out_dir, stem):
        texts = seen.setdefault(stem, [])

        def recording_draw(self, renderer):
            if self.get_visible() and self.get_text().strip():
                texts.append((self.get_text(), self.get_fontsize()))
            return draw(self, renderer)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(matplotlib.text.Text, "draw", recording_draw)
            return save(fig, out_dir, stem)

    monkeypatch.setattr(figures.style, "_save", recording_save)
    return seen


@pytest.fixture(autouse=True)
def close_figures():
    """Start each test with no figure open: a test that replaces ``_save`` leaves its figure
    open, and the tests now live in several files, so their order no longer hides that."""
    plt.close("all")
    yield
