"""Tests of helpers.stats.metrics: per-run summaries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import stats


def test_accuracy_change_is_the_mean_move_and_the_runs_that_fall():
    runs = pd.DataFrame({"initial_accuracy": [0.90, 0.90, 0.80], "final_accuracy": [0.91, 0.88, 0.80]})
    mean, declined = stats.accuracy_change(runs)
    assert abs(mean - (0.01 - 0.02 + 0.0) / 3) < 1e-12 and declined == 1  # an unchanged run has not fallen
    mean, declined = stats.accuracy_change(runs.iloc[0:0])
    assert np.isnan(mean) and declined == 0
