"""The pilot and ablation scripts of benchmarks/: their summaries, on small made-up results."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers.grid import build_configs, run_grid
from test_stats import write_fake_tree

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def scripts():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield {name: importlib.import_module(name)
               for name in ("ablation_finetune", "ablation_regularisation", "check_references", "pilot_cnn_protocol",
                            "pilot_cnn_widths", "pilot_finetune")}
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_ablation_summary_compares_the_rules_on_shared_seeds(scripts, tmp_path, capsys):
    root = write_fake_tree(tmp_path / "results", pairs=("mnist_logreg",), experiments=("small",),
                           strategies=("random", "margin"), seeds=(42, 43, 44))
    for rule in ("converge", "cold"):
        write_fake_tree(root / "ablations" / "mnist_logreg_finetune" / rule, pairs=("mnist_logreg",),
                        experiments=("small",), strategies=("random", "margin"), seeds=(42, 43), reference=False)
    status = scripts["ablation_finetune"].main(["--summary-only", "--results-dir", str(root), "--experiments", "small",
                                                "--strategies", "random", "margin", "--seeds", "42", "43", "44"])
    assert status == 0
    table = pd.read_csv(root / "ablations" / "mnist_logreg_finetune" / "summary.csv")
    assert list(dict.fromkeys(table["rule"])) == ["fixed", "converge", "cold"]
    assert set(table["n_seeds"]) == {2}
    assert "written:" in capsys.readouterr().out


def test_regularisation_ablation_runs_resumes_and_summarises_every_run(scripts, digits, tmp_path, capsys):
    root = tmp_path / "results"
    tiny = dict(experiments=["small"], strategies=["random", "margin"], seeds=[1, 2])
    # The study's arm (its own C) is the main grid, read, never recomputed by the script.
    run_grid(build_configs("digits_logreg", tiny["experiments"], tiny["strategies"], tiny["seeds"],
                           n_iterations=2, results_dir=str(root)), dataset=digits, progress=False)
    argv = ["--pair", "digits_logreg", "--experiments", "small", "--strategies", "random", "margin",
            "--seeds", "1", "2", "--n-iterations", "2", "--results-dir", str(root)]
    folder = root / "ablations" / "digits_logreg_C"
    assert scripts["ablation_regularisation"].main(argv + ["--values", "1"]) == 0
    meta = json.loads((folder / "C1" / "digits_logreg" / "small" / "margin" / "seed2.json").read_text())
    assert meta["config"]["model_params"]["C"] == 1.0
    out = capsys.readouterr().out
    assert "C = 1, 4 run(s)" in out and "'ran': 4" in out and "written:" in out
    table = pd.read_csv(folder / "summary.csv")
    assert sorted(set(table["C"])) == [0.01, 1.0] and set(table["n_seeds"]) == {2}

    # Resumed with another value: the finished C = 1 runs are skipped, and the summary covers
    # every run on disk, not only those of this invocation.
    assert scripts["ablation_regularisation"].main(argv + ["--values", "1", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "C = 1: {'total': 4, 'skipped': 4, 'ran': 0" in out and "C = 0.1, 4 run(s)" in out
    table = pd.read_csv(folder / "summary.csv")
    assert list(dict.fromkeys(table["C"])) == [0.01, 0.1, 1.0] and len(table) == 6
    # A narrower summary-only call still summarises seed 2, margin and C = 0.1.
    narrow = ["--pair", "digits_logreg", "--experiments", "small", "--strategies", "random", "--seeds", "1",
              "--n-iterations", "2", "--results-dir", str(root), "--values", "1", "--summary-only"]
    assert scripts["ablation_regularisation"].main(narrow) == 0
    assert pd.read_csv(folder / "summary.csv").equals(table)
    assert scripts["ablation_regularisation"].main(argv + ["--values", "-1"]) == 2


def test_protocol_pilot_summary_has_one_row_per_experiment_and_arm(scripts, tmp_path):
    module = scripts["pilot_cnn_protocol"]
    per_run = pd.DataFrame({"experiment": ["small"] * 3, "arm": ["steps30", "steps30", "whole"],
                            "strategy": ["random", "margin", "margin"], "aulc": [0.5, 0.52, 0.53],
                            "final_accuracy": [0.6, 0.61, 0.62], "fit_seconds": [70.0, 75.0, 80.0],
                            "query_seconds": [1.0, 50.0, 150.0]})
    runs = pd.DataFrame({"experiment": ["small"] * 6, "arm": ["steps30"] * 4 + ["whole"] * 2,
                         "strategy": ["random", "random", "margin", "margin", "margin", "margin"],
                         "iteration": [0, 1, 0, 1, 0, 1], "fit_seconds": [0.1, 1.5, 0.1, 1.7, 0.1, 1.6],
                         "query_seconds": [0.0, 0.01, 0.0, 1.0, 0.0, 3.0]})
    table = module.summarize(per_run, runs)
    assert list(table["arm"]) == ["steps30", "whole"]  # the arms' own order
    steps = table.iloc[0]
    assert steps["val_aulc"] == pytest.approx(0.51) and steps["val_aulc_margin"] == pytest.approx(0.52)
    assert steps["fit_seconds_per_query"] == pytest.approx(1.6)  # iteration 0 (pre-training) left out
    assert steps["query_seconds_per_query"] == pytest.approx(1.0)  # random sampling scores nothing
    assert pd.isna(table.iloc[1]["val_aulc_random"])


def test_widths_summary_reports_accuracy_at_the_asked_epochs(scripts):
    module = scripts["pilot_cnn_widths"]
    per_epoch = pd.DataFrame({"setting": "w8", "l1_channels": 8, "l2_channels": 16, "l4_input": 64, "l5_input": 32,
                              "kernel_size": 3, "padding": 0, "n_params": 1000, "epoch": [1, 2, 3],
                              "val_accuracy": [0.4, 0.5, 0.45], "train_images_per_s": [100.0, 300.0, 200.0],
                              "infer_images_per_s": [1000.0, 1000.0, 1000.0]})
    row = module.summarize(per_epoch, [2, 4]).iloc[0]
    assert row["widths"] == "8/16/64/32" and row["best_val_accuracy"] == 0.5
    assert row["val_accuracy_e2"] == 0.5 and pd.isna(row["val_accuracy_e4"])
    assert row["train_images_per_s"] == 200.0  # median over epochs


def test_finetune_pilot_summary_holds_every_run_on_disk(scripts, tmp_path, capsys):
    # Two invocations with different settings: the second summary keeps the first one's rows.
    root = tmp_path / "pilot"
    write_fake_tree(root / "iter2", pairs=("mnist_logreg",), experiments=("small", "large"),
                    strategies=("random", "margin"), seeds=(42, 43), reference=False)
    module = scripts["pilot_finetune"]
    assert module.main(["--summary-only", "--results-dir", str(root), "--budgets", "2"]) == 0
    write_fake_tree(root / "iter30", pairs=("mnist_logreg",), experiments=("large",),
                    strategies=("random", "margin"), seeds=(42,), reference=False)
    assert module.main(["--summary-only", "--results-dir", str(root), "--budgets", "30",
                        "--experiments", "large", "--seeds", "42"]) == 0
    table = pd.read_csv(root / "summary.csv")
    assert list(zip(table["experiment"], table["finetune_max_iter"], table["n_runs"])) == [
        ("small", 2, 4), ("large", 2, 4), ("large", 30, 2)]
    capsys.readouterr()


def test_protocol_pilot_summary_holds_every_run_on_disk(scripts, tmp_path, capsys):
    root = tmp_path / "pilot"
    write_fake_tree(root / "steps10", pairs=("cifar10_cnn",), experiments=("small",),
                    strategies=("random", "margin"), seeds=(42,), reference=False)
    write_fake_tree(root / "whole", pairs=("cifar10_cnn",), experiments=("small", "large"),
                    strategies=("margin",), seeds=(42, 43), reference=False)
    module = scripts["pilot_cnn_protocol"]
    assert module.main(["--summary-only", "--results-dir", str(root), "--arms", "whole",
                        "--experiments", "large", "--strategies", "margin", "--seeds", "43"]) == 0
    table = pd.read_csv(root / "summary.csv")
    assert list(zip(table["experiment"], table["arm"], table["n_runs"])) == [
        ("small", "steps10", 2), ("small", "whole", 2), ("large", "whole", 2)]
    capsys.readouterr()


def test_ablation_summary_ignores_the_invocation_arguments(scripts, tmp_path, capsys):
    root = write_fake_tree(tmp_path / "results", pairs=("mnist_logreg",), experiments=("small", "large"),
                           strategies=("random", "margin"), seeds=(42, 43))
    for rule in ("converge", "cold"):
        write_fake_tree(root / "ablations" / "mnist_logreg_finetune" / rule, pairs=("mnist_logreg",),
                        experiments=("small", "large"), strategies=("random", "margin"), seeds=(42, 43),
                        reference=False)
    assert scripts["ablation_finetune"].main(["--summary-only", "--results-dir", str(root), "--rules", "cold",
                                              "--experiments", "small", "--seeds", "42"]) == 0
    table = pd.read_csv(root / "ablations" / "mnist_logreg_finetune" / "summary.csv")
    assert set(table["experiment"]) == {"small", "large"}
    assert list(dict.fromkeys(table["rule"])) == ["fixed", "converge", "cold"]
    assert set(table["n_seeds"]) == {2}
    capsys.readouterr()


def test_reference_check_fits_on_validation_and_summarises_every_fit(scripts, tmp_path, capsys, isolated_dirs):
    check = scripts["check_references"]
    out = tmp_path / "refs"
    assert check.main(["--pairs", "digits_logreg", "--seeds", "1", "--out", str(out)]) == 0
    assert check.main(["--pairs", "digits_logreg", "--seeds", "2", "--out", str(out)]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert summary["seed"].tolist() == [1, 2] and (summary["variant"] == "sklearn-digits").all()
    assert summary["accuracy"].between(0.8, 1.0).all()
    record = json.loads((out / "digits_logreg" / "reference" / "seed1.json").read_text())
    assert record["evaluation"] == "validation"
    assert check.verdict("mnist_cnn", 0.99) == "as expected" and check.verdict("mnist_cnn", 0.5).startswith("OUTSIDE")
    assert check.verdict("digits_logreg", 0.9) == ""
