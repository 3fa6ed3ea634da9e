"""Tests of helpers.report.pilots: the pilot tables.
"""

from __future__ import annotations

import pandas as pd

from helpers import report


def test_pilot_tables_render_the_summaries_that_exist(tmp_path):
    pilots = tmp_path / "pilots"
    (pilots / "mnist_logreg_finetune").mkdir(parents=True)
    pd.DataFrame({"experiment": ["small", "small", "large"], "finetune_max_iter": [2, 3, 2], "n_runs": 4,
                  "val_aulc": [0.81, 0.8108, 0.913], "val_final_accuracy": [0.87, 0.871, 0.9135],
                  "fit_seconds_per_query": [0.011, 0.0114, 0.34]}).to_csv(
        pilots / "mnist_logreg_finetune" / "summary.csv", index=False)
    written = report.write_pilot_tables(tmp_path, tmp_path / "out")
    assert [p.name for p in written] == ["pilot_finetune_mnist_logreg.tex"]  # the others are absent
    tex = written[0].read_text()
    assert "Small & 2 & 81.00 & 87.00 & 0.011" in tex and " & 3 & 81.08 & 87.10 & 0.011" in tex
    assert tex.count(r"\midrule") == 2  # after the header, and between the two experiments
