"""Tests of helpers.job.estimates: expected wall times from measured costs.
"""

from __future__ import annotations

import os

import pytest

from helpers import job
from helpers.config import PAIRS
from job_fixtures import smoke


def test_the_figures_notebook_has_its_own_measured_cost(tmp_path):
    plan = smoke(tmp_path, only="digits_logreg")
    figures, = [s for s in plan.steps if s.template == "figures"]
    assert job.notebook_seconds(figures) == job.FIGURES_NOTEBOOK_SECONDS > job.NOTEBOOK_SECONDS
    assert job.notebook_seconds(plan.steps[0]) == job.NOTEBOOK_SECONDS
    seconds, _ = job.estimate_seconds(plan, [], {})
    assert seconds == pytest.approx(3 * job.NOTEBOOK_SECONDS + job.FIGURES_NOTEBOOK_SECONDS)


def test_every_paper_run_has_a_measured_cost(tmp_path):
    plan = job.plan_job("paper", jobs=2, data_root=str(tmp_path), out=str(tmp_path / "o"))
    seconds, unknown = job.estimate_seconds(plan, plan.run_configs, {"mnist_logreg": 20, "cifar10_cnn": 5})
    assert unknown == [] and seconds > 0


def test_estimate_uses_the_table_and_names_unmeasured_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(job.estimates, "RUN_SECONDS", {k: v for k, v in job.RUN_SECONDS.items() if k[0] == "mnist_logreg"})
    monkeypatch.setattr(job.estimates, "REFERENCE_SECONDS", {"mnist_logreg": 2.2})
    plan = job.plan_job("paper", jobs=2, data_root=str(tmp_path), out=str(tmp_path / "o"))
    seconds, unknown = job.estimate_seconds(plan, plan.run_configs, {"mnist_logreg": 5, "cifar10_cnn": 5})
    mnist = [c for c in plan.run_configs if c.pair == "mnist_logreg"]
    n_experiment_notebooks = len(plan.steps) - 1
    expected = (job.NOTEBOOK_SECONDS * n_experiment_notebooks + job.FIGURES_NOTEBOOK_SECONDS
                + 5 * job.REFERENCE_SECONDS["mnist_logreg"] + sum(job.run_seconds(c) for c in mnist) / min(2, os.cpu_count()))
    assert seconds == pytest.approx(expected)
    others = [c for c in plan.run_configs if c.pair != "mnist_logreg"]
    assert len(unknown) == len(others) == 3 * 5 * sum(len(PAIRS[p].seeds) for p in plan.pairs if p != "mnist_logreg")
    assert {c.pair for c in unknown} == set(plan.pairs) - {"mnist_logreg"}
    assert job.run_seconds(mnist[0].replace(n_iterations=125)) == pytest.approx(job.run_seconds(mnist[0]) / 2)
