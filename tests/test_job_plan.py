"""Tests of helpers.job.plan: the plan file.
"""

from __future__ import annotations

import json

from helpers import job


def test_plan_file_round_trip_with_awkward_paths(tmp_path):
    out = tmp_path / "it's a \"folder\" with spaces"
    plan = job.plan_job("smoke", out=str(out))
    path = tmp_path / "plan.tsv"
    job.write_plan(plan, path)
    folders, steps = job.read_plan(path)
    assert folders == plan.folders
    assert [(s.name, s.template, s.parameters) for s in steps] == [(s.name, s.template, s.parameters) for s in plan.steps]
    assert [len(s.configs) for s in steps] == [len(s.configs) for s in plan.steps]
    line = path.read_text().splitlines()[-1].split("\t")
    assert json.loads(line[3])["results_dir"] == str(out)
