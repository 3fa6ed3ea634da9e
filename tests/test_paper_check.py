"""Tests of paper/check_pdf.py: following inputs and figures through macros and switches."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "paper" / "check_pdf.py"


@pytest.fixture(scope="module")
def check_pdf():
    spec = importlib.util.spec_from_file_location("check_pdf", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_expand_follows_aliases(check_pdf):
    macros = {"ShallowPair": r"\MnistPair", "MnistPair": "mnist_logreg"}
    assert check_pdf.expand(r"../figures/curves_\ShallowPair_small", macros) == "../figures/curves_mnist_logreg_small"
    assert check_pdf.expand(r"a\Unknown", macros) == r"a\Unknown"


def test_switches_keep_the_taken_branch(check_pdf):
    text = r"A\ifHaveDeep B\else C\fi D\ifHaveShallow E\fi F"
    assert check_pdf.apply_switches(text, {"HaveDeep": False, "HaveShallow": True}) == "A C D E F"
    assert check_pdf.apply_switches(text, {"HaveDeep": True, "HaveShallow": False}) == "A B D F"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_referenced_files_through_generated_macros(check_pdf, tmp_path):
    root = tmp_path / "paper"
    write(root / "generated" / "macros.tex",
          "\\newif\\ifHaveDeep\\HaveDeepfalse % x\n\\newcommand{\\ShallowPair}{mnist_logreg} % y\n")
    write(root / "generated" / "table_mnist_logreg.tex", "table")
    write(tmp_path / "figures" / "curves_mnist_logreg.pdf", "%PDF-")
    main = root / "main.tex"
    write(main, "\\input{generated/macros.tex}\n\\input{generated/table_\\ShallowPair}\n"
                "\\includegraphics{../figures/curves_\\ShallowPair}\n"
                "\\ifHaveDeep\\includegraphics{../figures/curves_\\DeepPair}\\fi\n")
    problems, visited = check_pdf.referenced_files([main], root)
    assert problems == []
    assert root / "generated" / "table_mnist_logreg.tex" in visited
    # A figure that the taken branch needs and that does not exist is reported.
    write(main, main.read_text() + "\\includegraphics{../figures/missing_\\ShallowPair}\n")
    problems, _ = check_pdf.referenced_files([main], root)
    assert len(problems) == 1 and "missing_mnist_logreg" in problems[0]
