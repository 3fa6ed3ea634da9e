"""Tests of the sentence macros defined in paper/main.tex itself (not generated: \\SeedsBetter,
\\IfSameText, \\ZeroNote, \\NumWord): the text they typeset through a real pdflatex run under the
paper's own preamble, for the cases the results can produce."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

MAIN_TEX = Path(__file__).resolve().parents[1] / "paper" / "main.tex"

pytestmark = pytest.mark.skipif(not (shutil.which("pdflatex") and shutil.which("pdftotext")),
                                reason="needs pdflatex and pdftotext")


def paper_preamble() -> str:
    """Return paper/main.tex up to ``\\begin{document}``, without the generated macros: the paper's own
    packages and definitions, under which the sentence macros must work (a robust command such
    as ``\\emph`` behaves differently there than in a bare ``article``)."""
    text = MAIN_TEX.read_text()
    for name in (r"\newcommand{\SeedsBetter}", r"\newcommand{\IfSameText}", r"\newcommand{\ZeroNote}",
                 r"\newcommand{\NumWord}"):
        assert name in text, f"paper/main.tex no longer defines {name[12:-1]}"
    preamble = text[:text.index(r"\begin{document}")]
    return preamble.replace(r"\input{generated/macros.tex}", "")


def typeset(tmp_path: Path, body: list[str]) -> list[str]:
    """Typeset each line of ``body`` as its own paragraph under the paper's preamble; return the PDF's
    text of each bracketed line."""
    shutil.copy(MAIN_TEX.parent / "icmlish.sty", tmp_path)
    doc = "\n".join([paper_preamble(),
                     r"\def\Five{5}\def\Four{4}\def\Three{3}\def\Zero{0}\def\N{5}",
                     r"\def\Inc{includes}\def\Exc{excludes}",
                     r"\def\EmA{margin in \emph{small}}\def\EmB{margin in \emph{small}}\def\EmC{margin in \emph{large}}",
                     r"\def\OrderA{in the same order}\def\OrderB{in the same order}\def\OrderC{in another order}",
                     r"\begin{document}", *(rf"\noindent[{line}]\par" for line in body), r"\end{document}", ""])
    (tmp_path / "t.tex").write_text(doc)
    build = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stdout[-2000:]
    text = subprocess.run(["pdftotext", "t.pdf", "-"], cwd=tmp_path, capture_output=True, text=True,
                          check=True).stdout
    return re.findall(r"\[([^\]]*)\]", " ".join(text.split()))


def test_seeds_better_reads_as_words(tmp_path):
    lines = typeset(tmp_path, [
        r"\SeedsBetter{\Five,\Five}{\N}",                 # every strategy on every seed
        r"\SeedsBetter{\Zero,\Zero}{\N}",                 # none
        r"\SeedsBetter{\Four,\Four}{\N}",                 # the same count below all
        r"\SeedsBetter{\Four,\Three}{\N}",                # two different counts
        r"\SeedsBetter{\Five,\Four,\Three,\Zero}{\N}",    # a serial list
        r"\SeedsBetter{\Five}{\N}", r"\SeedsBetter{\Four}{\N}", r"\SeedsBetter{\Zero}{20}",
        r"better on \SeedsBetter{\Four,\Three}{\N}. Next",  # spacing around it in running text
    ])
    assert lines == ["all 5 seeds", "none of the 5 seeds", "4 of 5 seeds each", "4 and 3 of 5 seeds",
                     "5, 4, 3 and 0 of 5 seeds", "all 5 seeds", "4 of 5 seeds", "none of the 20 seeds",
                     "better on 4 and 3 of 5 seeds. Next"]


def test_if_same_text_compares_expansions(tmp_path):
    lines = typeset(tmp_path, [
        r"\IfSameText{\OrderA}{\OrderB}{same}{different}",
        r"\IfSameText{\OrderA}{\OrderC}{same}{different}",
        r"\IfSameText{\Four}{4}{same}{different}",
        r"\IfSameText{\EmA}{\EmB}{same}{different}",    # robust commands (\emph) inside
        r"\IfSameText{\EmA}{\EmC}{same}{different}",
        r"digit 0 and \IfSameText{\Zero}{\Five}{}{digit \Five{} }for",
        r"digit 0 and \IfSameText{\Zero}{\Zero}{}{digit \Zero{} }for",
    ])
    assert lines == ["same", "different", "same", "same", "different", "digit 0 and digit 5 for", "digit 0 and for"]


def test_zero_note_says_which_intervals_include_zero(tmp_path):
    lines = typeset(tmp_path, [
        r"+1.0 and +2.0\ZeroNote{\Exc,\Exc}.",
        r"+1.0\ZeroNote{\Inc}.",
        r"+1.0 and +2.0\ZeroNote{\Inc,\Inc}.",
        r"+1.0 and +2.0\ZeroNote{\Inc,\Exc}.",
        r"+1.0 and +2.0\ZeroNote{\Exc,\Inc}.",
        r"a, b and c\ZeroNote{\Inc,\Exc,\Inc}.",
        r"a, b and c\ZeroNote{\Inc,\Inc,\Inc}.",
    ])
    assert lines == ["+1.0 and +2.0.", "+1.0 (its interval includes zero).",
                     "+1.0 and +2.0 (both intervals include zero).",
                     "+1.0 and +2.0 (the first interval includes zero).",
                     "+1.0 and +2.0 (the second interval includes zero).",
                     "a, b and c (2 of the 3 intervals include zero).",
                     "a, b and c (all 3 intervals include zero)."]


def test_num_word_writes_small_counts_as_words(tmp_path):
    lines = typeset(tmp_path, [
        r"in \NumWord{\Zero} of the \NumWord{\Three} experiments",
        r"\NumWord{1}, \NumWord{\Four}, \NumWord{\Five}, \NumWord{10}",
        r"\NumWord{11} and \NumWord{20}",                 # beyond ten: digits
        r"in \NumWord{2} experiments. Next",              # spacing around it in running text
    ])
    assert lines == ["in zero of the three experiments", "one, four, five, ten", "11 and 20",
                     "in two experiments. Next"]
