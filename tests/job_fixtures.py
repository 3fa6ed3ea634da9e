"""Shared helpers of the tests of :mod:`helpers.job`.
"""

from __future__ import annotations

from helpers import job


def smoke(tmp_path, **options):
    return job.plan_job("smoke", out=str(tmp_path / "out"), **options)
