"""Tests of paper/check_pdf.py: inputs and figures through macros and switches, overfull boxes in
the log, unreferenced figures and tables, the page budget, hyphenated names in the references."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "paper" / "check_pdf.py"


@pytest.fixture(scope="module")
def check_pdf():
    spec = importlib.util.spec_from_file_location("check_pdf", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_expand_follows_aliases(check_pdf):
    macros = {"ShallowPair": r"\MnistPair", "MnistPair": "mnist_logreg"}
    assert check_pdf.expand(r"../figures/curves_\ShallowPair_small", macros) == "../figures/curves_mnist_logreg_small"
    assert check_pdf.expand(r"a\Unknown", macros) == r"a\Unknown"


def test_switches_keep_the_taken_branch(check_pdf):
    text = r"A\ifHaveDeep B\else C\fi D\ifHaveShallow E\fi F"
    assert check_pdf.apply_switches(text, {"HaveDeep": False, "HaveShallow": True}) == "A C D E F"
    assert check_pdf.apply_switches(text, {"HaveDeep": True, "HaveShallow": False}) == "A B D F"


def test_switches_nest_as_tex_nests_them(check_pdf):
    # The inner \ifnum's \fi must not end the outer switch's \else branch.
    text = r"A\ifHaveCrossed B\else C\ifnum\N=0 D\fi E\fi F\ifHaveDeep G\ifHaveCrossed H\fi\fi I"
    assert check_pdf.apply_switches(text, {"HaveCrossed": True, "HaveDeep": True}) == "A B F G H I"
    assert check_pdf.apply_switches(text, {"HaveCrossed": False, "HaveDeep": True}) == \
        r"A C\ifnum\N=0 D\fi E F G I"
    assert check_pdf.apply_switches(text, {"HaveCrossed": False, "HaveDeep": False}) == r"A C\ifnum\N=0 D\fi E F I"
    assert check_pdf.apply_switches(r"\newif\ifHaveDeep\HaveDeeptrue x", {"HaveDeep": False}) == \
        r"\newif\ifHaveDeep\HaveDeeptrue x"


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


def test_switches_can_keep_line_numbers(check_pdf):
    text = "a\n\\ifHaveDeep b\nc\n\\else d\ne\n\\fi f\ng"
    for state in (True, False):
        kept = check_pdf.apply_switches(text, {"HaveDeep": state}, keep_lines=True)
        assert kept.count("\n") == text.count("\n")
        assert kept.splitlines()[-1] == "g"
    assert check_pdf.apply_switches(text, {"HaveDeep": False}, keep_lines=True).splitlines()[3] == " d"


# --------------------------------------------------------------------------
# Overfull boxes in the log
# --------------------------------------------------------------------------

LOG = r"""This is pdfTeX, Version 3.141592653-2.6-1.40.24 (TeX Live 2022/Debian) (preloaded format=pdflatex)
(./main.tex
LaTeX2e <2022-11-01> patch level 1
(/usr/share/texlive/texmf-dist/tex/latex/base/article.cls
Document Class: article 2022/07/02 v1.4n Standard LaTeX document class
)
(./sections/intro.tex
LaTeX Font Info:    Font shape `OT1/ptm/bx/n' in size <8> not available
(Font)              Font shape `OT1/ptm/b/n' tried instead on input line 30.
(./generated/table.tex)
Overfull \hbox (1.30473pt too wide) in paragraph at lines 45--65
\T1/ptm/m/n/10 (-20) against 79.5% for ran-dom sam-pling ($\OT1/ztmcm/m/n/10 +$
\T1/ptm/m/n/10 (-20) 4.6 per-cent-age points,
 []

Overfull \hbox (0.3pt too wide) in paragraph at lines 70--71
[]\T1/ptm/m/n/10 almost fits (
 []

Underfull \hbox (badness 4726) in paragraph at lines 80--82
[]\T1/ptm/m/n/9 (+20) Lars Schmidt-
 []

{WRAPPED}
Overfull \hbox (12.0pt too wide) detected at line 120
[]
 []

) [5]
Overfull \vbox (3.5pt too high) has occurred while \output is active []

(./main.aux) )
Output written on main.pdf (5 pages, 1000 bytes).
"""
# TeX breaks log lines after 79 characters, in file names too.
LONG_NAME = "./sections/a_section_file_with_a_rather_long_name_that_wraps_in_the_log.tex"
_WRAPPED = "[4]) (" + LONG_NAME
LOG = LOG.replace("{WRAPPED}", _WRAPPED[:79] + "\n" + _WRAPPED[79:])
assert any(len(line) == 79 and line.endswith(".t") for line in LOG.splitlines())


def test_overfull_boxes_are_parsed_with_their_files(check_pdf):
    boxes = check_pdf.overfull_boxes(LOG)
    assert [(b.box, b.amount, b.lines, b.file) for b in boxes] == [
        ("h", 1.30473, (45, 65), "sections/intro.tex"),
        ("h", 0.3, (70, 71), "sections/intro.tex"),
        ("h", 12.0, (120, 120), LONG_NAME[2:]),
        ("v", 3.5, None, "main.tex"),
    ]
    assert boxes[0].text.startswith("against 79.5% for ran-dom sam-pling")
    assert boxes[0].where == "in paragraph at lines 45--65"
    assert boxes[3].where == "has occurred while \\output is active"


def test_check_log_reports_overfull_boxes_above_the_tolerance(check_pdf, tmp_path):
    log = tmp_path / "main.log"
    log.write_text(LOG)
    problems = check_pdf.check_log(log)           # default tolerance 0.5 pt
    assert len(problems) == 3
    assert "Overfull \\hbox by 1.30473pt in sections/intro.tex: in paragraph at lines 45--65" in problems[0]
    assert "detected at line 120" in problems[1] and "Overfull \\vbox by 3.5pt in main.tex" in problems[2]
    assert not any("0.3pt" in p for p in problems)
    assert len(check_pdf.check_log(log, tolerance=0.2)) == 4
    assert len(check_pdf.check_log(log, tolerance=0.3)) == 3     # by at most the tolerance: not reported
    assert len(check_pdf.check_log(log, tolerance=2.0)) == 2
    assert check_pdf.check_log(log, tolerance=20.0) == []
    missing = check_pdf.check_log(tmp_path / "nope.log")
    assert len(missing) == 1 and "LaTeX log not found" in missing[0]


# --------------------------------------------------------------------------
# Figures and tables: labelled and referenced
# --------------------------------------------------------------------------

def make_sources(root: Path) -> Path:
    write(root / "generated" / "macros.tex", "\\newif\\ifHaveDeep\\HaveDeepfalse\n")
    write(root / "generated" / "tab.tex", "\\begin{tabular}{c}x\\end{tabular}\n\\label{tab:inside-input}\n")
    write(root / "sections" / "results.tex",
          "\\section{Results}\n"                                              # 1
          "\\ifHaveDeep\n"                                                    # 2
          "\\begin{figure}\\caption{deep}\\label{fig:deep}\\end{figure}\n"    # 3 (dropped branch)
          "\n"                                                                # 4
          "\\else\n"                                                          # 5
          "Figures~\\ref{fig:a} and \\cref{tab:b, fig:c}.\n"                  # 6
          "\\fi\n"                                                            # 7
          "\\begin{figure}[t]\n"                                              # 8
          "\\caption{A, unlike \\autoref{tab:b}.}\\label{fig:a}\n"            # 9
          "\\end{figure}\n"                                                   # 10
          "\\begin{table*}[t]\n"                                              # 11
          "\\caption{B}\n\\label{tab:b}\n"                                    # 12-13
          "\\end{table*}\n"                                                   # 14
          "\\begin{figure*}\\caption{Unlabelled}\\end{figure*}\n"             # 15
          "\\begin{figure}\\caption{See Figure~\\ref{fig:self}.}\n"           # 16
          "\\label{fig:self}\\end{figure}\n"                                  # 17
          "\\begin{table}\\caption{T}\\input{generated/tab}\\end{table}\n"    # 18
          "\\begin{figure}\\label{fig:c}\\label{fig:c-sub}\\end{figure}\n")   # 19
    write(root / "sections" / "unused.tex",
          "\\begin{figure}\\label{fig:orphan}\\end{figure}\n")
    main = root / "main.tex"
    write(main, "% \\input{sections/unused}\n\\input{generated/macros.tex}\n\\input{sections/results}\n"
                "\\bibliography{references}\n\\appendix\n\\section{Validation pilots}\n")
    return main


def test_scan_sources_follows_inputs_and_switches(check_pdf, tmp_path):
    root = tmp_path / "paper"
    main = make_sources(root)
    scan = check_pdf.scan_sources([main], root)
    assert [(f.env, f.file, f.line, f.labels) for f in scan.floats] == [
        ("figure", "sections/results.tex", 8, [("fig:a", "sections/results.tex", 9)]),
        ("table*", "sections/results.tex", 11, [("tab:b", "sections/results.tex", 13)]),
        ("figure*", "sections/results.tex", 15, []),
        ("figure", "sections/results.tex", 16, [("fig:self", "sections/results.tex", 17)]),
        ("table", "sections/results.tex", 18, [("tab:inside-input", "generated/tab.tex", 2)]),
        ("figure", "sections/results.tex", 19, [("fig:c", "sections/results.tex", 19),
                                                ("fig:c-sub", "sections/results.tex", 19)]),
    ]
    assert {label for label, _ in scan.refs} == {"fig:a", "tab:b", "fig:c", "fig:self"}
    assert scan.after_bibliography == "Validation pilots"
    assert root / "sections" / "unused.tex" not in scan.files


def test_unreferenced_and_unlabelled_floats_are_reported(check_pdf, tmp_path):
    root = tmp_path / "paper"
    main = make_sources(root)
    problems = check_pdf.check_float_labels([main], root)
    assert problems == [
        "sections/results.tex:15: figure* environment without a \\label",
        # only referenced from its own caption
        "sections/results.tex:17: \\label{fig:self} of the figure at line 16 is never referenced"
        " (\\ref, \\cref, \\Cref, \\autoref)",
        # a label in a file \input inside the table
        "generated/tab.tex:2: \\label{tab:inside-input} of the table at sections/results.tex:18"
        " is never referenced (\\ref, \\cref, \\Cref, \\autoref)",
        "sections/results.tex:19: \\label{fig:c-sub} of the figure at line 19 is never referenced"
        " (\\ref, \\cref, \\Cref, \\autoref)",
    ]
    # Referencing them (from anywhere included) clears the problems.
    write(root / "sections" / "results.tex", (root / "sections" / "results.tex").read_text()
          + "\\Cref{fig:self} \\ref{tab:inside-input} \\autoref{fig:c-sub}"
          " \\begin{figure*}\\label{fig:late}\\end{figure*}\\cref{fig:late}\n")
    problems = check_pdf.check_float_labels([main], root)
    assert problems == ["sections/results.tex:15: figure* environment without a \\label"]


# --------------------------------------------------------------------------
# Page budget and hyphenated names in the references
# --------------------------------------------------------------------------

HEAD = "Which Query Strategy? A Running Head"


def pages_with_references(on_page: int, heading: str = "References") -> list[str]:
    pages = [f"{HEAD}\nBody text of page {n}.\n{n}\n" for n in range(1, on_page)]
    pages[0] = "Title of the paper\nAbstract text.\n1\n"
    pages.append(f"{HEAD}\nThe last words of the body.\n{heading}\n"
                 "Christopher Schrö-\nder and Andreas Niekler. A survey of Active-\nLearning. In Advances in Neu-\n"
                 "ral Information Processing, 2020.\n"
                 "Lars Schmidt-\nThieme. Query-\nby-committee revisited. Technical report, 2021.\n"
                 f"Alykhan Te-\n{on_page}\n")
    pages.append(f"{HEAD}\njani and Vin-\ncent Dubourg. Another scikit-\nlearn paper, 2019.\n"
                 "A Validation pilots\nSettles (2009) is cited by Nie-\nkler again.\n"
                 f"{on_page + 1}\n")
    return pages


def test_page_budget(check_pdf):
    notes: list[str] = []
    assert check_pdf.check_page_budget(pages_with_references(9), 8, "main.pdf", notes) == []
    assert notes == ["References start on page 9 of 10 (limit 9 for --max-body-pages 8)"]
    problems = check_pdf.check_page_budget(pages_with_references(10), 8, "main.pdf")
    assert len(problems) == 1 and "References heading is on page 10" in problems[0]
    assert check_pdf.check_page_budget(pages_with_references(10), 9, "main.pdf") == []
    assert check_pdf.check_page_budget(pages_with_references(3, "7 References"), 1, "x.pdf") != []
    assert check_pdf.check_page_budget(pages_with_references(3, "7 References"), 2, "x.pdf") == []
    # A sentence that starts with the word is not the heading.
    no_heading = pages_with_references(3, "References to earlier work are in Section 2.")
    problems = check_pdf.check_page_budget(no_heading, 8, "x.pdf")
    assert len(problems) == 1 and "no 'References' heading" in problems[0]


BBL = r"""\begin{thebibliography}{3}
\bibitem[Schr{\"o}der and Niekler(2020)]{schroeder2020survey}
Christopher Schr{\"o}der and Andreas Niekler.
\newblock A survey of {Active-Learning}.
\newblock In \emph{Advances in Neural Information Processing}, 2020.

\bibitem[Schmidt-Thieme(2021)]{st}
Lars Schmidt-Thieme.
\newblock Query-by-committee revisited.

\bibitem[Te{\'j}ani et~al.(2019)Te{\'j}ani and Dubourg]{tejani}
Alykhan Tejani and Vincent Dubourg.
\newblock Another scikit-learn paper.
\end{thebibliography}
"""


def test_bbl_author_words(check_pdf):
    words = check_pdf.bbl_author_words(BBL)
    assert {"schroder", "niekler", "christopher", "schmidt", "thieme", "tejani", "vincent"} <= words
    assert not {"survey", "neural", "active", "query", "another"} & words
    assert check_pdf.tex_to_text(r"Indr{\.{e}} {\v{Z}}liobait{\.{e}} and L{\'e}on~B. K{\"o}pf, {\'\i}") == \
        "Indrė Žliobaitė and Léon B. Köpf, í"


def test_hyphenated_names_in_the_references(check_pdf):
    pages = pages_with_references(9)
    words = check_pdf.bbl_author_words(BBL)
    found = check_pdf.hyphenated_names(pages, words, end_title="Validation pilots")
    # Schroe-der, Te-jani across the page break (page number and running head skipped), Vin-cent;
    # not Active-Learning / Schmidt-Thieme (uppercase continuation), Neu-ral (not a name),
    # scikit-learn (lowercase), nor Nie-kler after the references end.
    assert found == [(9, "Schrö", "der"), (9, "Te", "jani"), (10, "Vin", "cent")]
    # Without the references ending at the appendix, the appendix's Nie-kler counts too.
    assert (10, "Nie", "kler") in check_pdf.hyphenated_names(pages, words)
    # Without a .bbl every capitalised word broken before a lowercase letter is a candidate,
    # except compounds spelled with a hyphen elsewhere (Query-by).
    loose = check_pdf.hyphenated_names(pages, None, end_title="Validation pilots")
    assert loose == [(9, "Schrö", "der"), (9, "Neu", "ral"), (9, "Te", "jani"), (10, "Vin", "cent")]
    broken = ["References\nA survey of Active-\nlearning.\n"]
    assert check_pdf.hyphenated_names(broken, None) == [(1, "Active", "learning")]
    assert check_pdf.hyphenated_names(broken, None, compounds_text="{Active-learning}") == []
    assert check_pdf.hyphenated_names([broken[0] + "More on Active-learning.\n"], None) == []
    assert check_pdf.hyphenated_names(pages_with_references(3, "Bibliography"), words) == []


def test_check_reference_names_uses_the_bbl(check_pdf, tmp_path):
    pages = pages_with_references(9)
    bbl = tmp_path / "main.bbl"
    bbl.write_text(BBL)
    problems = check_pdf.check_reference_names(pages, bbl, "main.pdf", "Validation pilots")
    assert len(problems) == 3 and "author name hyphenated in the references, page 9: Schrö-|der" in problems[0]
    problems = check_pdf.check_reference_names(pages, tmp_path / "none.bbl", "main.pdf", "Validation pilots")
    assert len(problems) == 4 and "no .bbl" in problems[0]


# --------------------------------------------------------------------------
# The command line, end to end (pdftotext replaced by canned pages)
# --------------------------------------------------------------------------

def test_main_runs_every_check(check_pdf, tmp_path, monkeypatch, capsys):
    root = tmp_path / "paper"
    main_tex = make_sources(root)
    results = root / "sections" / "results.tex"
    results.write_text("\\begin{figure}\\caption{A}\\label{fig:a}\\end{figure}\nFigure~\\ref{fig:a}.\n")
    pdf = root / "main.pdf"
    pdf.write_bytes(b"%PDF-1.5\n")
    (root / "main.bbl").write_text(BBL)
    (root / "main.log").write_text(LOG)
    pages = pages_with_references(9)
    monkeypatch.setattr(check_pdf, "pdf_text", lambda _pdf, layout=True: "\f".join(pages) + "\f")

    def run(*args):
        code = check_pdf.main([str(pdf), str(main_tex), "--root", str(root), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, err = run()
    assert code == 1
    assert "References start on page 9 of 10 (limit 9 for --max-body-pages 8)" in out
    assert "6 problem(s)" in err
    assert err.count("Overfull") == 3 and err.count("author name hyphenated") == 3
    code, out, err = run("--overfull-tolerance", "20", "--max-body-pages", "7")
    assert code == 1 and "Overfull" not in err and "References heading is on page 9" in err
    # An unreferenced figure fails the check as well.
    results.write_text(results.read_text() + "\\begin{table}\\label{tab:lonely}\\end{table}\n")
    code, out, err = run("--overfull-tolerance", "20")
    assert code == 1 and "results.tex:3: \\label{tab:lonely}" in err
    results.write_text(results.read_text() + "Table~\\ref{tab:lonely}.\n")
    clean = tmp_path / "clean.log"
    clean.write_text("(./main.tex [1] )\n")
    empty_bbl = tmp_path / "names.bbl"
    empty_bbl.write_text("\\bibitem{x}\nNobody.\n\\newblock Nothing.\n")
    code, out, err = run("--log", str(clean), "--bbl", str(empty_bbl))
    assert code == 0 and "check_pdf: OK" in out and err == ""
    code, out, err = run("--log", str(tmp_path / "missing.log"), "--bbl", str(empty_bbl))
    assert code == 1 and "LaTeX log not found" in err


@pytest.mark.skipif(not (shutil.which("pdflatex") and shutil.which("pdftotext")),
                    reason="needs pdflatex and pdftotext")
def test_real_latex_build(check_pdf, tmp_path):
    """A tiny document through pdflatex: the real log and PDF text, not canned ones."""
    root = tmp_path / "paper"
    write(root / "main.tex", "\n".join([
        r"\documentclass{article}",                                     # 1
        r"\begin{document}",                                            # 2
        r"See Figure~\ref{fig:used}.",                                  # 3
        r"\begin{figure}[h]\centering X\caption{Used.}\label{fig:used}\end{figure}",
        r"\begin{figure}[h]\centering Y\caption{Unused.}\label{fig:unused}\end{figure}",
        r"\noindent\hbox to 20pt{an overfull box of some width}",       # 6
        r"\newpage",
        r"Second page.",
        r"\section*{References}",
        r"\noindent Christopher Schroe-\\",
        r"der and Andreas Niekler. A survey.",
        r"\end{document}", ""]))
    for _ in range(2):   # the second run resolves \ref
        build = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex"],
                               cwd=root, capture_output=True, text=True, timeout=120)
        assert build.returncode == 0, build.stdout[-2000:]
    notes: list[str] = []
    problems = check_pdf.check(root / "main.pdf", [root / "main.tex"], root, max_body_pages=1, notes=notes)
    assert notes == ["References start on page 2 of 2 (limit 2 for --max-body-pages 1)"]
    overfull = [p for p in problems if "Overfull" in p]
    assert len(overfull) == 1 and "Overfull \\hbox by" in overfull[0] and "main.tex: detected at line 6" in overfull[0]
    assert any("\\label{fig:unused}" in p for p in problems)
    assert not any("fig:used}" in p for p in problems)
    assert any("Schroe-|der" in p for p in problems)     # no .bbl: any capitalised word counts
    assert len(problems) == 3, problems
    problems = check_pdf.check(root / "main.pdf", [root / "main.tex"], root, max_body_pages=0)
    assert any("References heading is on page 2" in p for p in problems)
