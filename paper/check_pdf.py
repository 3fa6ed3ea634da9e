#!/usr/bin/env python3
"""Check the built paper: the PDF exists, has no unresolved marks, and every
file that the LaTeX sources \\input or \\includegraphics exists.

Usage::

    python3 paper/check_pdf.py [PDF] [TEX ...] [--root DIR]

PDF defaults to ``main.pdf`` next to this script; TEX defaults to ``main.tex``
and ``sections/*.tex`` next to it.  Files named in ``\\input``/``\\include`` are
followed recursively.  Paths in the sources are resolved relative to ``--root``
(default: the folder of this script, i.e. ``paper/``, where LaTeX runs), with
the extensions ``.tex`` (for \\input) or ``.pdf``/``.png``/``.jpg``/``.jpeg``/
``.eps`` (for \\includegraphics) tried when the source omits them.

Exit status: 0 when everything is fine, 1 when a check fails (each problem is
printed on its own line), 2 when ``pdftotext`` (poppler-utils) is missing.
Only the standard library and ``pdftotext`` are used.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

TEX_EXTS = (".tex",)
GRAPHICS_EXTS = (".pdf", ".png", ".jpg", ".jpeg", ".eps")

# \input{f}, \include{f}, \includegraphics[opts]{f}; \input may be followed by
# spaces.  The starred/optional forms of \includegraphics are allowed.
_INPUT_RE = re.compile(r"\\(input|include)\s*\{([^}]*)\}")
_GRAPHICS_RE = re.compile(r"\\includegraphics\*?\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}")
# Marks LaTeX and natbib leave in the text for unresolved references or
# citations: "??" (\ref), "(?)" / "(?, ?)" (natbib \citep / \citet).
_UNRESOLVED_RE = re.compile(r"\?\?|\(\?(?:,\s*\?)?\)")
# Argument-free macro definitions (file names may use them, e.g. \ShallowPair) and the
# \ifHave<Role> switches the generated macros set.
_NEWCOMMAND_RE = re.compile(r"\\newcommand\{\\([A-Za-z]+)\}\{([^{}#]*)\}")
_SWITCH_RE = re.compile(r"\\newif\\if([A-Za-z]+)\s*\\\1(true|false)")
_MACRO_RE = re.compile(r"\\([A-Za-z]+)")
#: Files whose definitions are read before any path is resolved.
DEFINITION_FILES = ("generated/macros.tex",)


class PdfToolMissing(Exception):
    """pdftotext is not installed."""


def strip_comments(text: str) -> str:
    """Drop TeX comments (an unescaped % to the end of the line)."""
    out = []
    for line in text.splitlines():
        out.append(re.sub(r"(?<!\\)%.*", "", line))
    return "\n".join(out)


def resolve(name: str, root: Path, exts: tuple[str, ...]) -> Path | None:
    """Return the file LaTeX would use for ``name``, or None if none exists."""
    name = name.strip()
    candidate = root / name
    if candidate.is_file():
        return candidate
    if not Path(name).suffix or Path(name).suffix not in exts:
        for ext in exts:
            with_ext = root / (name + ext)
            if with_ext.is_file():
                return with_ext
    return None


def definitions(tex_files: list[Path], root: Path) -> tuple[dict[str, str], dict[str, bool]]:
    """Argument-free ``\\newcommand`` bodies and ``\\newif`` switch states.

    Read from ``tex_files`` and :data:`DEFINITION_FILES` (relative to ``root``).
    """
    macros: dict[str, str] = {}
    switches: dict[str, bool] = {}
    for path in [*tex_files, *(root / name for name in DEFINITION_FILES)]:
        if Path(path).is_file():
            text = strip_comments(Path(path).read_text(encoding="utf-8", errors="replace"))
            macros.update(_NEWCOMMAND_RE.findall(text))
            switches.update((name, state == "true") for name, state in _SWITCH_RE.findall(text))
    return macros, switches


def expand(name: str, macros: dict[str, str], depth: int = 10) -> str:
    """Replace known argument-free macros in a file name (aliases are followed)."""
    for _ in range(depth):
        new = _MACRO_RE.sub(lambda m: macros.get(m.group(1), m.group(0)), name)
        if new == name:
            break
        name = new
    return name


def apply_switches(text: str, switches: dict[str, bool]) -> str:
    """Keep only the branch of each (non-nested) ``\\if<Switch>...\\else...\\fi`` that TeX takes."""
    for switch, state in switches.items():
        pattern = re.compile(r"\\if" + switch + r"(?![A-Za-z])(.*?)(?:\\else(?![A-Za-z])(.*?))?\\fi(?![A-Za-z])",
                             re.DOTALL)
        text = pattern.sub(lambda m: m.group(1) if state else (m.group(2) or ""), text)
    return text


def referenced_files(tex_files: list[Path], root: Path) -> tuple[list[str], list[Path]]:
    """Follow \\input/\\include/\\includegraphics from ``tex_files``.

    File names are expanded with the argument-free macros the sources and
    ``generated/macros.tex`` define, and only the branch of an ``\\ifHave...``
    switch that TeX takes is followed.

    Returns (problems, visited tex files).
    """
    macros, switches = definitions(tex_files, root)
    problems: list[str] = []
    seen: set[Path] = set()
    queue = [Path(f) for f in tex_files]
    while queue:
        tex = queue.pop(0).resolve()
        if tex in seen:
            continue
        seen.add(tex)
        if not tex.is_file():
            problems.append(f"TeX source not found: {tex}")
            continue
        text = apply_switches(strip_comments(tex.read_text(encoding="utf-8", errors="replace")), switches)
        for _cmd, name in _INPUT_RE.findall(text):
            if "#" in name:  # argument of a macro definition, not a file
                continue
            name = expand(name, macros)
            target = resolve(name, root, TEX_EXTS)
            if target is None:
                problems.append(
                    f"{tex.name}: \\input{{{name}}} -> no such file under {root}"
                    f" (tried {name} and {name}.tex)")
            elif target.suffix == ".tex":
                queue.append(target)
        for name in _GRAPHICS_RE.findall(text):
            if "#" in name:
                continue
            name = expand(name, macros)
            if resolve(name, root, GRAPHICS_EXTS) is None:
                problems.append(
                    f"{tex.name}: \\includegraphics{{{name}}} -> no such file under"
                    f" {root} (tried {name} and {', '.join(GRAPHICS_EXTS)})")
    return problems, sorted(seen)


def pdf_text(pdf: Path) -> str:
    """Text of ``pdf`` as extracted by pdftotext."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise PdfToolMissing(
            "pdftotext not found: install poppler-utils "
            "(apt-get install -y --no-install-recommends poppler-utils)")
    result = subprocess.run([exe, "-layout", str(pdf), "-"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pdftotext failed on {pdf}: {result.stderr.strip()}")
    return result.stdout


def check_pdf(pdf: Path) -> list[str]:
    """Problems with the PDF itself: missing, not a PDF, unresolved marks."""
    if not pdf.is_file():
        return [f"PDF not found: {pdf} (build it with `make -C paper pdf`)"]
    with pdf.open("rb") as fh:
        if fh.read(5) != b"%PDF-":
            return [f"not a PDF file: {pdf}"]
    try:
        text = pdf_text(pdf)
    except RuntimeError as exc:
        return [str(exc)]
    problems = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if _UNRESOLVED_RE.search(line):
            problems.append(
                f"{pdf.name}: unresolved reference or citation mark in text line"
                f" {lineno}: {line.strip()[:120]}")
    return problems


def default_tex_files(root: Path) -> list[Path]:
    return [root / "main.tex", *sorted((root / "sections").glob("*.tex"))]


def check(pdf: Path, tex_files: list[Path] | None = None,
          root: Path | None = None) -> list[str]:
    """All problems found for ``pdf`` and its sources (empty list: all fine)."""
    root = (root or HERE).resolve()
    tex_files = tex_files or default_tex_files(root)
    problems, _ = referenced_files(tex_files, root)
    return check_pdf(pdf) + problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", nargs="?", type=Path, default=HERE / "main.pdf",
                        help="the built PDF (default: main.pdf next to this script)")
    parser.add_argument("tex", nargs="*", type=Path,
                        help="TeX sources to scan (default: main.tex, sections/*.tex)")
    parser.add_argument("--root", type=Path, default=HERE,
                        help="folder LaTeX runs in; paths resolve against it")
    args = parser.parse_args(argv)
    try:
        problems = check(args.pdf, args.tex or None, args.root)
    except PdfToolMissing as exc:
        print(f"check_pdf: {exc}", file=sys.stderr)
        return 2
    if problems:
        print(f"check_pdf: {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"check_pdf: OK ({args.pdf})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
