"""End to end: ./run_all.sh --profile smoke, nbval on the executed notebooks, the paper build.

These tests run the whole pipeline once (a few minutes on 2 CPU cores) into a temporary
folder, then check its outputs, validate the executed notebooks with nbval, check that a
second run resumes instead of recomputing, and build the paper from the smoke outputs.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAIRS = ("digits_logreg", "digits_cnn")
EXPERIMENTS = ("small", "moderate", "large")
STRATEGIES = ("random", "least_confident", "margin", "entropy", "stream_uncertainty")

pytestmark = pytest.mark.slow


def _run_all(*args, env=None):
    return subprocess.run(["bash", str(REPO / "run_all.sh"), *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=1200)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke")
    proc = _run_all("--profile", "smoke", "--out", str(out))
    assert proc.returncode == 0, f"smoke profile failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return out, proc.stdout


@pytest.fixture(scope="module")
def smoke(smoke_run):
    return smoke_run[0]


@pytest.fixture(scope="module")
def smoke_log(smoke_run):
    return smoke_run[1]


def test_smoke_writes_results_in_the_engine_layout(smoke):
    for pair in PAIRS:
        for experiment in EXPERIMENTS:
            for strategy in STRATEGIES:
                for seed in (42, 43):
                    stem = smoke / pair / experiment / strategy / f"seed{seed}"
                    assert stem.with_suffix(".csv").exists() and stem.with_suffix(".json").exists(), stem
        assert (smoke / pair / "reference" / "seed42.json").exists()


def test_smoke_writes_executed_notebooks_and_html(smoke):
    names = [f"{p}_{e}" for p in PAIRS for e in EXPERIMENTS] + ["figures"]
    for name in names:
        assert (smoke / "notebooks" / f"{name}.ipynb").exists(), name
        assert (smoke / "notebooks" / f"{name}.html").stat().st_size > 0, name


def test_smoke_writes_every_figure_and_paper_input(smoke):
    figures = {p.name for p in (smoke / "figures").iterdir()}
    expected = ["aulc_summary", "labels_to_target", "stream_cost"] + [
        f"{kind}_{pair}_{experiment}"
        for kind in ("learning_curves", "learning_curves_frac", "confusion")
        for pair in PAIRS for experiment in EXPERIMENTS
    ]
    missing = [f"{stem}.{ext}" for stem in expected for ext in ("pdf", "png") if f"{stem}.{ext}" not in figures]
    assert not missing, f"figures not written: {missing}"
    generated = {p.name for p in (smoke / "generated").iterdir()}
    assert {"macros.tex", "summary_table_digits_logreg.tex", "summary_table_digits_cnn.tex"} <= generated


def test_executed_notebooks_pass_nbval(smoke):
    notebooks = sorted(str(p) for p in (smoke / "notebooks").glob("*.ipynb"))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", *notebooks],
        cwd=smoke, capture_output=True, text=True, timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout


def test_rerun_resumes_without_recomputing(smoke):
    csvs = sorted((smoke / "digits_logreg").rglob("seed*.csv"))
    before = {p: p.stat().st_mtime_ns for p in csvs}
    proc = _run_all("--profile", "smoke", "--only", "digits_logreg", "--out", str(smoke))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in csvs} == before


def test_smoke_says_what_it_runs_and_reports_progress(smoke_log):
    assert "every check passed" in smoke_log
    assert "30 runs: 0 already finished, 30 to run" in smoke_log and "expected wall time: about" in smoke_log
    progress = re.findall(r"^run_all\.sh: \[\s*(\d+)/60\] .* finished; elapsed .*$", smoke_log, re.M)
    assert [int(n) for n in progress] == list(range(1, 61))


def test_paper_builds_from_smoke_outputs(smoke, tmp_path):
    if shutil.which("latexmk") is None:
        if os.environ.get("CI"):
            pytest.fail("latexmk missing in CI: .ci/run must install TeX")
        pytest.skip("TeX is not installed (see paper/README.md)")
    paper = tmp_path / "paper"
    shutil.copytree(REPO / "paper", paper, ignore=shutil.ignore_patterns(
        "generated", "main.pdf", "*.aux", "*.log", "*.fls", "*.fdb_latexmk", "*.bbl", "*.blg", "*.out", "*.synctex.gz"))
    shutil.copytree(smoke / "generated", paper / "generated")
    shutil.copytree(smoke / "figures", tmp_path / "figures")
    build = subprocess.run(["make", "-C", str(paper), "pdf"], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    # The smoke build's numbers differ from the study's, so its line breaks and page count do
    # too: the layout checks (overfull boxes, page budget) apply to the study's paper only.
    check = subprocess.run([sys.executable, str(paper / "check_pdf.py"), str(paper / "main.pdf"),
                            "--overfull-tolerance", "1000", "--max-body-pages", "99"],
                           cwd=paper, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
