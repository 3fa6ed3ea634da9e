#!/usr/bin/env python3
"""Check the built paper: the PDF exists, has no unresolved marks, every file
that the LaTeX sources \\input or \\includegraphics exists, the LaTeX log has
no overfull boxes, every figure and table is labelled and referenced, the body
fits the page budget, and no author name is hyphenated in the references.

Usage::

    python3 paper/check_pdf.py [PDF] [TEX ...] [--root DIR] [--log PATH]
        [--bbl PATH] [--overfull-tolerance PT] [--max-body-pages N]

PDF defaults to ``main.pdf`` next to this script; TEX defaults to ``main.tex``
and ``sections/*.tex`` next to it.  Files named in ``\\input``/``\\include`` are
followed recursively.  Paths in the sources are resolved relative to ``--root``
(default: the folder of this script, i.e. ``paper/``, where LaTeX runs), with
the extensions ``.tex`` (for \\input) or ``.pdf``/``.png``/``.jpg``/``.jpeg``/
``.eps`` (for \\includegraphics) tried when the source omits them.  File names
are expanded with the argument-free macros of the sources and
``generated/macros.tex``, and only the branch of an ``\\ifHave...`` switch that
TeX takes is read.

The checks, each problem printed on its own line:

* **PDF**: it exists, is a PDF, and its text (``pdftotext -layout``) has no
  ``??`` or natbib ``(?)`` mark of an unresolved reference or citation.
* **Sources**: every ``\\input``/``\\include``/``\\includegraphics`` target exists.
* **Overfull boxes**: every ``Overfull \\hbox`` / ``Overfull \\vbox`` in the
  LaTeX log (``--log``; default: the PDF's name with ``.log``, i.e. ``main.log``
  next to ``main.pdf``) is a problem, given with its amount in pt, the source
  lines LaTeX names and the file LaTeX was reading (followed through the
  log's ``(file ... )`` nesting).  Boxes overfull by at most
  ``--overfull-tolerance`` pt (default 0.5) are not reported, as LaTeX's
  ``\\hfuzz``/``\\vfuzz`` would not; the tolerance applies to \\hbox and \\vbox
  alike.  A missing log is a problem.
* **Figures and tables**: every ``\\label`` inside a ``figure``, ``figure*``,
  ``table`` or ``table*`` environment must be referenced by a ``\\ref``,
  ``\\cref``, ``\\Cref``, ``\\autoref`` (or ``\\pageref``, ``\\eqref``,
  ``\\nameref``, ``\\vref``, ``\\Vref``, ``\\subref``, ``\\labelcref``,
  ``\\crefrange``, ``\\Crefrange``) outside that environment; such an
  environment without any ``\\label`` is a problem too.  Only the sources that
  are actually included count: the files reached by ``\\input``/``\\include``
  from the TEX files given, or from ``main.tex`` alone by default (a file in
  ``sections/`` that ``main.tex`` does not include is not part of the paper),
  with the ``\\ifHave...`` switches applied.
* **Page budget** (``--max-body-pages N``, default 8): the first line of the
  PDF text (``pdftotext -raw``, pages split on form feeds) that reads
  ``References`` alone (optionally numbered, e.g. ``7 References``) is the
  references heading.  Its 1-based page number P is reported and must satisfy
  ``P <= N + 1``: the body may fill N pages and end on page N + 1 only on the
  page where the references start.  No such heading at all is a problem.
* **Hyphenated names in the references**: between the references heading and
  the first section heading after ``\\bibliography`` in the sources (the
  appendix; else the end of the document), with page numbers and the running
  head dropped, a line ending in ``Xxx-`` (a fragment starting with an
  uppercase letter) followed by a line starting with a lowercase letter is a
  hyphenated capitalised word.  When the bibliography LaTeX read
  (``--bbl``; default: the PDF's name with ``.bbl``) exists, only words that
  occur in an author list of it are reported (so ``Neu-ral`` in a venue is
  not; ``Te-jani`` in an author list is); without it every such word is
  reported, except compounds the ``.bbl`` or PDF text spells with a hyphen
  and continuations that carry on with a hyphen (``Query-|by-committee``).
  Breaks at a hyphen followed by an uppercase letter (``Schmidt-Thieme``,
  ``Active-Learning``) are genuine compounds and never reported.

Exit status: 0 when everything is fine, 1 when a check fails (each problem is
printed on its own line, on stderr), 2 when ``pdftotext`` (poppler-utils) is
missing.  Notes (the page of the references heading) go to stdout.
Only the standard library and ``pdftotext`` are used.
"""

from __future__ import annotations

import argparse
import bisect
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
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


_CONDITIONAL_RE = re.compile(r"\\(if[A-Za-z]*|else|fi)(?![A-Za-z])")


def apply_switches(text: str, switches: dict[str, bool], keep_lines: bool = False) -> str:
    """Keep only the branch of each ``\\if<Switch>...\\else...\\fi`` that TeX takes.

    Conditionals nest as TeX nests them: every ``\\if...`` (``\\ifnum``, ``\\ifdefined``, a
    switch) opens a level that its own ``\\else`` and ``\\fi`` close, so a switch's branch ends
    at its own ``\\fi``, not at the first one. The switches named in ``switches`` are resolved
    (their tokens and untaken branches dropped); any other conditional is kept as text. An
    ``\\if...`` right after ``\\newif`` declares a switch and opens nothing.

    With ``keep_lines`` the dropped text leaves its line breaks behind, so that every kept
    character stays on its line number.
    """
    out: list[str] = []
    stack: list[tuple[str | None, bool, bool]] = []  # (switch or None, its state, in its \else branch)

    def live() -> bool:
        return all(name is None or state != in_else for name, state, in_else in stack)

    def emit(piece: str, keep: bool) -> None:
        out.append(piece if keep else ("\n" * piece.count("\n") if keep_lines else ""))

    pos = 0
    for m in _CONDITIONAL_RE.finditer(text):
        word = m.group(1)
        if word.startswith("if") and text[max(0, m.start() - 7):m.start()] == "\\newif":
            continue
        emit(text[pos:m.start()], live())
        pos = m.end()
        if word.startswith("if"):
            name = word[2:]
            known = name in switches
            emit(m.group(0), live() and not known)
            stack.append((name if known else None, bool(switches.get(name)), False))
        elif not stack:  # an \else or \fi without its \if: keep it as text
            emit(m.group(0), live())
        elif word == "else":
            name, state, _ = stack.pop()
            emit(m.group(0), live() and name is None)
            stack.append((name, state, True))
        else:
            name, state, in_else = stack.pop()
            emit(m.group(0), live() and name is None)
    emit(text[pos:], live())
    return "".join(out)


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


def pdf_text(pdf: Path, layout: bool = True) -> str:
    """Text of ``pdf`` as extracted by pdftotext.

    ``layout``: ``-layout`` (columns side by side, as on the page); otherwise
    ``-raw`` (content-stream order: column after column, line-end hyphens
    kept).  Pages are separated by form feeds.
    """
    exe = shutil.which("pdftotext")
    if exe is None:
        raise PdfToolMissing(
            "pdftotext not found: install poppler-utils "
            "(apt-get install -y --no-install-recommends poppler-utils)")
    result = subprocess.run([exe, "-layout" if layout else "-raw", str(pdf), "-"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pdftotext failed on {pdf}: {result.stderr.strip()}")
    return result.stdout


def pdf_pages(pdf: Path) -> list[str]:
    """Text of each page of ``pdf`` (``pdftotext -raw``, split on form feeds)."""
    pages = pdf_text(pdf, layout=False).split("\f")
    if pages and not pages[-1].strip():   # pdftotext ends every page, the last one too, with \f
        pages.pop()
    return pages


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


# --------------------------------------------------------------------------
# Overfull boxes in the LaTeX log
# --------------------------------------------------------------------------

#: TeX wraps log lines at this many characters (``max_print_line``).
LOG_LINE_WIDTH = 79
_BOX_RE = re.compile(
    r"^(?P<kind>Overfull|Underfull|Loose|Tight) \\(?P<box>[hv])box "
    r"\((?:(?P<amount>\d+(?:\.\d+)?)pt too (?:wide|high)|badness \d+)\)\s*(?P<where>.*)$")
_LOG_LINES_RE = re.compile(r"lines? (\d+)(?:--(\d+))?")
# Box contents as TeX shows them: font switches (\T1/ptm/m/n/10), microtype's
# expansion steps ((-20)) and the [] of boxes and glue.
_BOX_NOISE_RE = re.compile(r"\\[A-Za-z0-9]+/[^\s/]+/[^\s/]+/[^\s/]+/[\d.]+\s*|\([-+]\d+\)\s*|\[\]|\$")
_LOG_FILE_RE = re.compile(r"[^\s()\[\]{}<>\"]+")


@dataclass
class Overfull:
    """One overfull box reported in the LaTeX log."""

    box: str                    # "h" or "v"
    amount: float               # pt
    where: str                  # LaTeX's words: "in paragraph at lines 45--65", ...
    lines: tuple[int, int] | None
    file: str | None            # the file LaTeX was reading, when the log shows it
    text: str                   # the start of the box's contents, cleaned


def _unwrap_log(text: str, width: int = LOG_LINE_WIDTH) -> list[str]:
    """Log lines with TeX's hard wrapping at ``width`` characters undone."""
    out: list[str] = []
    carry = ""
    for raw in text.splitlines():
        if carry and not raw:          # a full line that just ended: keep the blank line
            out.extend((carry, raw))
            carry = ""
            continue
        if len(raw) == width:
            carry += raw
            continue
        out.append(carry + raw)
        carry = ""
    if carry:
        out.append(carry)
    return out


def _looks_like_file(name: str) -> bool:
    return bool(re.search(r"\.[A-Za-z][A-Za-z0-9]*$", name) or name.startswith(("./", "../", "/")))


def overfull_boxes(log_text: str) -> list[Overfull]:
    """Every overfull \\hbox/\\vbox in a LaTeX log, in order.

    The file is the innermost ``(file`` the log had opened and not yet closed
    with ``)`` (best effort: a message with unbalanced parentheses can mislead
    it); the contents TeX shows after a box message, which often hold
    unbalanced parentheses, are skipped when following that nesting.
    """
    boxes: list[Overfull] = []
    stack: list[str | None] = []
    lines = _unwrap_log(log_text)
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _BOX_RE.match(line)
        if m:
            contents = []
            i += 1
            while i < len(lines) and lines[i].strip():   # the box display ends at a blank line
                contents.append(lines[i])
                i += 1
            if m["kind"] == "Overfull":
                found = _LOG_LINES_RE.search(m["where"])
                span = (int(found[1]), int(found[2] or found[1])) if found else None
                current = next((f for f in reversed(stack) if f), None)
                text = " ".join(_BOX_NOISE_RE.sub("", " ".join(contents)).split())
                boxes.append(Overfull(m["box"], float(m["amount"]), m["where"].rstrip(" []"), span,
                                      current[2:] if current and current.startswith("./") else current,
                                      text))
            continue
        for pos, char in enumerate(line):
            if char == "(":
                name = _LOG_FILE_RE.match(line, pos + 1)
                stack.append(name[0] if name and _looks_like_file(name[0]) else None)
            elif char == ")" and stack:
                stack.pop()
        i += 1
    return boxes


def check_log(log: Path, tolerance: float = 0.5) -> list[str]:
    """Problems in the LaTeX log: it is missing, or a box is overfull by more than ``tolerance`` pt."""
    if not log.is_file():
        return [f"LaTeX log not found: {log} (build the paper first, or name the log with --log)"]
    problems = []
    for box in overfull_boxes(log.read_text(encoding="utf-8", errors="replace")):
        if box.amount <= tolerance:
            continue
        text = f' -- "{box.text[:70]}' + ("...\"" if len(box.text) > 70 else '"') if box.text else ""
        problems.append(f"{log.name}: Overfull \\{box.box}box by {box.amount:g}pt in"
                        f" {box.file or 'an unknown file'}: {box.where}{text}")
    return problems


# --------------------------------------------------------------------------
# Figures and tables: labelled and referenced
# --------------------------------------------------------------------------

FLOAT_ENVS = ("figure", "figure*", "table", "table*")
REF_COMMANDS = ("ref", "pageref", "eqref", "autoref", "cref", "Cref", "crefrange", "Crefrange",
                "labelcref", "nameref", "vref", "Vref", "subref")
_SOURCE_EVENT_RE = re.compile(
    r"\\(?P<env_cmd>begin|end)\s*\{(?P<env>[^{}]*)\}"
    r"|\\label\s*\{(?P<label>[^{}]*)\}"
    r"|\\(?P<ref_cmd>" + "|".join(REF_COMMANDS) + r")\*?\s*(?:\[[^\]]*\])?\s*\{(?P<refs>[^{}]*)\}"
    r"(?:\s*\{(?P<refs2>[^{}]*)\})?"
    r"|\\(?:input|include)\s*\{(?P<file>[^{}]*)\}"
    r"|\\(?P<bibliography>bibliography)\s*\{"
    r"|\\(?P<section>chapter|section)\*?\s*(?:\[[^\]]*\])?\s*\{")


@dataclass
class Float:
    """A figure or table environment of the sources."""

    env: str
    file: str
    line: int
    labels: list[tuple[str, str, int]] = field(default_factory=list)   # (label, file, line)


@dataclass
class SourceScan:
    """What :func:`scan_sources` found in the included sources."""

    floats: list[Float] = field(default_factory=list)
    #: Labels referenced, each with the float the reference sits in (None: outside any).
    refs: list[tuple[str, Float | None]] = field(default_factory=list)
    #: Title of the first \\section or \\chapter after \\bibliography, if any.
    after_bibliography: str | None = None
    files: list[Path] = field(default_factory=list)


def _braced(text: str, start: int) -> str:
    """The text up to the brace that closes the one opened just before ``start``."""
    depth = 1
    for pos in range(start, len(text)):
        if text[pos] == "{" and text[pos - 1] != "\\":
            depth += 1
        elif text[pos] == "}" and text[pos - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start:pos]
    return text[start:]


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def scan_sources(tex_files: list[Path], root: Path) -> SourceScan:
    """Walk the sources TeX reads, in order, from ``tex_files`` through \\input/\\include.

    Uses the same macros and ``\\ifHave...`` switches as :func:`referenced_files`;
    each file is read once.  Records figure/table environments with their
    labels, every reference, and the first section title after \\bibliography.
    """
    root = root.resolve()
    macros, switches = definitions(tex_files, root)
    scan = SourceScan()
    seen: set[Path] = set()
    open_floats: list[Float] = []
    state = {"after_bib": False}

    def walk(tex: Path) -> None:
        tex = tex.resolve()
        if tex in seen or not tex.is_file():
            return
        seen.add(tex)
        scan.files.append(tex)
        name = _display(tex, root)
        text = apply_switches(strip_comments(tex.read_text(encoding="utf-8", errors="replace")),
                              switches, keep_lines=True)
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        for m in _SOURCE_EVENT_RE.finditer(text):
            line = bisect.bisect_right(line_starts, m.start())
            if m["env_cmd"]:
                env = m["env"].strip()
                if env not in FLOAT_ENVS:
                    continue
                if m["env_cmd"] == "begin":
                    open_floats.append(Float(env, name, line))
                elif open_floats and open_floats[-1].env == env:
                    scan.floats.append(open_floats.pop())
            elif m["label"] is not None:
                if open_floats:
                    open_floats[-1].labels.append((expand(m["label"].strip(), macros), name, line))
            elif m["ref_cmd"]:
                inside = open_floats[-1] if open_floats else None
                for group in (m["refs"], m["refs2"] or ""):
                    for label in group.split(","):
                        if label.strip():
                            scan.refs.append((expand(label.strip(), macros), inside))
            elif m["file"] is not None:
                if "#" in m["file"]:   # argument of a macro definition, not a file
                    continue
                target = resolve(expand(m["file"], macros), root, TEX_EXTS)
                if target is not None and target.suffix == ".tex":
                    walk(target)
            elif m["bibliography"]:
                state["after_bib"] = True
            elif m["section"] and state["after_bib"] and scan.after_bibliography is None:
                scan.after_bibliography = _braced(text, m.end())

    for tex in tex_files:
        walk(Path(tex))
    return scan


def check_float_labels(tex_files: list[Path], root: Path, scan: SourceScan | None = None) -> list[str]:
    """Figure/table environments without a \\label, and float labels no reference points to.

    ``scan``: the result of :func:`scan_sources` for ``tex_files``, if already at hand.
    """
    scan = scan or scan_sources(tex_files, root)
    problems = []
    for flt in scan.floats:
        if not flt.labels:
            problems.append(f"{flt.file}:{flt.line}: {flt.env} environment without a \\label")
        for label, file, line in flt.labels:
            if not any(ref == label and where is not flt for ref, where in scan.refs):
                place = f"line {flt.line}" if file == flt.file else f"{flt.file}:{flt.line}"
                problems.append(f"{file}:{line}: \\label{{{label}}} of the {flt.env} at {place}"
                                " is never referenced (\\ref, \\cref, \\Cref, \\autoref)")
    return problems


# --------------------------------------------------------------------------
# The references: page budget, hyphenated names
# --------------------------------------------------------------------------

_REFERENCES_HEADING_RE = re.compile(r"^(?:\d+\.?\s+)?(?:References|REFERENCES)$")
# TeX accents and special letters as they appear in a .bbl.
_TEX_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
                "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
                "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331"}
_TEX_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "aa": "å", "AA": "Å",
                "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "i": "ı", "j": "ȷ"}
_TEX_ACCENT_RE = re.compile(r"\\([\"'`^~=.]|[uvHckrdb](?![A-Za-z]))\s*\{?\s*(\\?[A-Za-z])\s*\}?")
_TEX_LETTER_RE = re.compile(r"\\(" + "|".join(sorted(_TEX_LETTERS, key=len, reverse=True)) + r")(?![A-Za-z])\s*")


def tex_to_text(tex: str) -> str:
    """Plain text of a .bbl fragment: accents to Unicode (NFC), commands and braces dropped."""
    tex = _TEX_ACCENT_RE.sub(lambda m: m.group(2).lstrip("\\") + _TEX_ACCENTS[m.group(1)], tex)
    tex = _TEX_LETTER_RE.sub(lambda m: _TEX_LETTERS[m.group(1)], tex)
    tex = re.sub(r"\\[A-Za-z]+\*?", " ", tex).replace("~", " ")
    tex = tex.replace("{", "").replace("}", "")
    return unicodedata.normalize("NFC", " ".join(tex.split()))


def _word_key(word: str) -> str:
    """Compare words without case and diacritics (ı and ȷ count as i and j)."""
    base = unicodedata.normalize("NFKD", word.replace("ı", "i").replace("ȷ", "j"))
    return "".join(c for c in base if not unicodedata.combining(c)).casefold()


def bbl_author_words(bbl_text: str) -> set[str]:
    """Keys (:func:`_word_key`) of the words in the author lists of a .bbl.

    The author list of an entry is the text between ``\\bibitem[...]{key}`` and
    the first ``\\newblock`` (natbib's styles); the names in the optional
    argument count as well.
    """
    words: set[str] = set()
    for entry in re.split(r"\\bibitem\b", bbl_text)[1:]:
        entry = entry.split("\\end{thebibliography}")[0]
        authors = entry.split("\\newblock")[0]
        head = re.match(r"\s*(?:\[(.*?)\])?\s*\{[^{}]*\}", authors, re.DOTALL)   # [names(year)names]{key}
        if head:
            authors = (head.group(1) or "") + " " + authors[head.end():]
        words.update(_word_key(w) for w in re.findall(r"[^\W\d_]+", tex_to_text(authors)))
    return words


def references_heading(pages: list[str]) -> tuple[int, int] | None:
    """(page index, line index) of the first "References" heading line, or None."""
    for page_no, page in enumerate(pages):
        for line_no, line in enumerate(page.splitlines()):
            if _REFERENCES_HEADING_RE.match(line.strip()):
                return page_no, line_no
    return None


def check_page_budget(pages: list[str], max_body_pages: int, name: str,
                      notes: list[str] | None = None) -> list[str]:
    """The references heading must be on page ``max_body_pages + 1`` or earlier."""
    heading = references_heading(pages)
    if heading is None:
        return [f"{name}: no 'References' heading found in the text; the page budget"
                " and the hyphenation of names in the references were not checked"]
    page = heading[0] + 1
    if notes is not None:
        notes.append(f"References start on page {page} of {len(pages)}"
                     f" (limit {max_body_pages + 1} for --max-body-pages {max_body_pages})")
    if page > max_body_pages + 1:
        return [f"{name}: the References heading is on page {page}, after the page budget:"
                f" the body must end within {max_body_pages} pages, i.e. References"
                f" on page {max_body_pages + 1} or earlier (--max-body-pages {max_body_pages})"]
    return []


def _strip_page_furniture(pages: list[str]) -> list[list[str]]:
    """Lines of each page without page numbers and the running head (a first line shared by 2+ pages)."""
    split = [page.splitlines() for page in pages]
    firsts = [lines[0].strip() for lines in split if lines]
    heads = {first for first in firsts if first and firsts.count(first) > 1}
    return [[line for line in lines if line.strip() and not line.strip().isdigit()
             and line.strip() not in heads] for lines in split]


def hyphenated_names(pages: list[str], author_words: set[str] | None = None,
                     compounds_text: str = "", end_title: str | None = None) -> list[tuple[int, str, str]]:
    """Capitalised words broken across lines in the references: (page, fragment, continuation).

    ``pages``: the PDF text page by page (``pdftotext -raw``).  The references
    run from the "References" heading to the line that ends with ``end_title``
    (the first section after the bibliography), or to the end.  A candidate is
    a line ending in a hyphenated fragment that starts with an uppercase letter,
    followed by a line starting with a lowercase letter (not itself followed by
    a hyphen, as in ``Query-|by-committee``).  With ``author_words``
    (see :func:`bbl_author_words`) only candidates whose joined word is in an
    author list are kept; without it, candidates whose hyphenated spelling
    occurs within a line of ``pages`` or in ``compounds_text`` (e.g. the .bbl)
    are dropped as compounds.
    """
    heading = references_heading(pages)
    if heading is None:
        return []
    cleaned = _strip_page_furniture(pages)
    first_line = pages[heading[0]].splitlines()[heading[1]].strip()
    lines: list[tuple[int, str]] = []
    started = False
    for page_no, page_lines in enumerate(cleaned[heading[0]:], start=heading[0] + 1):
        for line in page_lines:
            line = unicodedata.normalize("NFC", line.strip())
            if not started:
                started = line == first_line
                continue
            if end_title and line.endswith(end_title) and len(line) <= len(end_title) + 12:
                break
            lines.append((page_no, line))
        else:
            continue
        break
    compounds = {_word_key(w) for w in re.findall(r"[^\W\d_]+-[^\W\d_]+", unicodedata.normalize(
        "NFC", compounds_text + "\n" + "\n".join(pages)))}
    found = []
    for (page_no, line), (_, following) in zip(lines, lines[1:]):
        if not line.endswith("-") or line.endswith("--"):
            continue
        fragment = re.search(r"([^\W\d_]+)-$", line)
        continuation = re.match(r"[^\W\d_]+", following)
        if not fragment or not continuation:
            continue
        head, tail = fragment[1], continuation[0]
        if not head[0].isupper() or not tail[0].islower():
            continue
        if following[len(tail):].startswith("-"):    # Query-|by-committee: a compound
            continue
        if author_words is not None:
            if _word_key(head + tail) not in author_words:
                continue
        elif _word_key(f"{head}-{tail}") in compounds:
            continue
        found.append((page_no, head, tail))
    return found


def check_reference_names(pages: list[str], bbl: Path | None, name: str,
                          end_title: str | None = None) -> list[str]:
    """Problems for the author names hyphenated across lines in the references."""
    author_words = None
    compounds_text = ""
    if bbl is not None and bbl.is_file():
        bbl_text = bbl.read_text(encoding="utf-8", errors="replace")
        author_words = bbl_author_words(bbl_text)
        compounds_text = tex_to_text(bbl_text)
    end = tex_to_text(end_title) if end_title else None
    what = "author name" if author_words is not None else "capitalised word (no .bbl to tell names apart)"
    return [f"{name}: {what} hyphenated in the references, page {page}: {head}-|{tail}"
            f" ({head + tail}); keep it whole, e.g. with \\mbox{{{head + tail}}} in the .bib"
            for page, head, tail in hyphenated_names(pages, author_words, compounds_text, end)]


def default_tex_files(root: Path) -> list[Path]:
    return [root / "main.tex", *sorted((root / "sections").glob("*.tex"))]


def _pdf_ok(pdf: Path) -> bool:
    if not pdf.is_file():
        return False
    with pdf.open("rb") as fh:
        return fh.read(5) == b"%PDF-"


def check(pdf: Path, tex_files: list[Path] | None = None,
          root: Path | None = None, *, log: Path | None = None, bbl: Path | None = None,
          overfull_tolerance: float = 0.5, max_body_pages: int = 8,
          notes: list[str] | None = None) -> list[str]:
    """All problems found for ``pdf`` and its sources (empty list: all fine).

    ``log``/``bbl`` default to the PDF's path with ``.log``/``.bbl``.  Notes
    (where the references start) are appended to ``notes`` when given.
    """
    root = (root or HERE).resolve()
    roots = tex_files or [root / "main.tex"]          # what the paper actually includes
    tex_files = tex_files or default_tex_files(root)
    problems, _ = referenced_files(tex_files, root)
    problems = check_pdf(pdf) + problems
    problems += check_log(log or pdf.with_suffix(".log"), overfull_tolerance)
    scan = scan_sources(roots, root)
    problems += check_float_labels(roots, root, scan)
    if _pdf_ok(pdf):
        try:
            pages = pdf_pages(pdf)
        except RuntimeError:     # already reported by check_pdf
            pages = []
        if pages:
            budget = check_page_budget(pages, max_body_pages, pdf.name, notes)
            problems += budget
            if not (budget and "no 'References' heading" in budget[0]):
                problems += check_reference_names(pages, bbl or pdf.with_suffix(".bbl"), pdf.name,
                                                  scan.after_bibliography)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", nargs="?", type=Path, default=HERE / "main.pdf",
                        help="the built PDF (default: main.pdf next to this script)")
    parser.add_argument("tex", nargs="*", type=Path,
                        help="TeX sources to scan (default: main.tex, sections/*.tex; the figure"
                             " and table labels are checked in what main.tex includes)")
    parser.add_argument("--root", type=Path, default=HERE,
                        help="folder LaTeX runs in; paths resolve against it")
    parser.add_argument("--log", type=Path, default=None,
                        help="LaTeX log to scan for overfull boxes (default: the PDF with .log)")
    parser.add_argument("--bbl", type=Path, default=None,
                        help="bibliography LaTeX read, to tell author names from other words"
                             " (default: the PDF with .bbl)")
    parser.add_argument("--overfull-tolerance", type=float, default=0.5, metavar="PT",
                        help="ignore boxes overfull by at most PT points (default 0.5)")
    parser.add_argument("--max-body-pages", type=int, default=8, metavar="N",
                        help="the References heading must be on page N+1 or earlier (default 8)")
    args = parser.parse_args(argv)
    if args.overfull_tolerance < 0:
        parser.error("--overfull-tolerance must be >= 0")
    if args.max_body_pages < 1:
        parser.error("--max-body-pages must be >= 1")
    notes: list[str] = []
    try:
        problems = check(args.pdf, args.tex or None, args.root, log=args.log, bbl=args.bbl,
                         overfull_tolerance=args.overfull_tolerance,
                         max_body_pages=args.max_body_pages, notes=notes)
    except PdfToolMissing as exc:
        print(f"check_pdf: {exc}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"check_pdf: {note}")
    if problems:
        print(f"check_pdf: {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"check_pdf: OK ({args.pdf})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
