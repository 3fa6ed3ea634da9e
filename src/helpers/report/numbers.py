"""The one number formatter of the paper and its rounding rule: every number a table,
macro or phrase prints goes through :func:`round_half_up` (decimal half-up rounding of the
shortest repr, so 0.125 -> 0.13 as a reader expects) and the ``fmt_*`` functions here; plus
:func:`latex_escape`.

May import: numpy, pandas and the standard library only (:mod:`helpers.figures` imports it).
"""

from __future__ import annotations

import math
from decimal import Decimal, ROUND_HALF_UP

import pandas as pd


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


# --------------------------------------------------------------------------- formatting
def latex_escape(text: str) -> str:
    """Return ``text`` with LaTeX special characters escaped (``_`` -> ``\\_`` etc.)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


def round_half_up(value, digits: int = 0, scale: int = 0) -> Decimal:
    """Round a number to ``digits`` decimals, half up, in decimal: the one rounding rule of every generated number.

    The number is read as the decimal it prints as (``repr``: 2.35 is 2.35, not the binary
    2.34999...), multiplied by ``10**scale`` in decimal (``scale=2`` for percentages, so
    0.02345 becomes 2.345 exactly), and rounded half away from zero
    (:data:`decimal.ROUND_HALF_UP`): 3.55 -> 3.6, 2.35 -> 2.4, 0.125 -> 0.13, and
    symmetrically -3.55 -> -3.6. A result of zero carries no sign.

    Parameters
    ----------
    value
        A finite real number.
    digits
        Decimals kept (negative: round to tens, hundreds, ...).
    scale
        Power of ten applied before rounding.

    Returns
    -------
    decimal.Decimal
        The rounded value, with exactly ``digits`` decimals (for ``digits >= 0``).
    """
    exact = Decimal(repr(float(value))).scaleb(scale)
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def fmt_num(value, digits: int = 1, scale: int = 0, thousands: bool = False) -> str:
    r"""Format a number with ``digits`` fixed decimals by :func:`round_half_up`.

    Every number the report generates passes through this function (or
    :func:`fmt_sig`), so all share one rounding rule: decimal, half away from zero.

    Parameters
    ----------
    value
        The number; NaN or None -> ``"n/a"``.
    digits
        Decimals printed.
    scale
        Power of ten applied first (2: a fraction printed as a percentage).
    thousands
        Group thousands with LaTeX's ``{,}`` (12{,}345).

    Returns
    -------
    str
        E.g. ``fmt_num(3.55) == "3.6"``, ``fmt_num(-2.35) == "-2.4"``,
        ``fmt_num(12345.5, 0, thousands=True) == "12{,}346"``.
    """
    if _missing(value):
        return "n/a"
    rounded = round_half_up(value, digits, scale)
    text = f"{rounded:,f}" if thousands else f"{rounded:f}"
    return text.replace(",", "{,}")


def fmt_sig(value, significant: int = 3) -> str:
    """Format a number to ``significant`` significant digits, rounded half up in decimal.

    Returns
    -------
    str
        As Python's ``g`` format prints the rounded value (``0.0625``, ``1.907e-06``);
        ``"n/a"`` for NaN or None.
    """
    if _missing(value):
        return "n/a"
    if float(value) == 0:
        return "0"
    exponent = Decimal(repr(float(value))).adjusted()
    rounded = round_half_up(value, significant - 1 - exponent)
    return f"{float(rounded):.{significant}g}"


def fmt_sig_tex(value, significant: int = 2) -> str:
    """Format a number for running text: as :func:`fmt_sig`, with an exponent written as LaTeX's
    ``\\ensuremath{7.6 \\cdot 10^{-6}}`` (below 0.0001; mantissa rounded half up).

    Returns
    -------
    str
        ``"0.25"``, ``"0.0078"``, ``"\\ensuremath{7.6 \\cdot 10^{-6}}"``; ``"n/a"`` for NaN or None.
    """
    text = fmt_sig(value, significant)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"\\ensuremath{{{mantissa} \\cdot 10^{{{int(exponent)}}}}}"


def fmt_pct(value, digits: int = 1) -> str:
    """Format a fraction as a percentage number without the sign (0.9123 -> ``"91.2"``); NaN -> ``"n/a"``.

    Rounded half up in decimal (:func:`round_half_up`): 0.02345 -> ``"2.35"`` with two digits.
    """
    return fmt_num(value, digits, scale=2)


def experiment_digits(block: pd.DataFrame) -> int:
    """Decimals for the percentages of one experiment: 2 when its strategies are close.

    When the mean AULC and final accuracies of all strategies lie within one
    percentage point (typical of a large initial set), one decimal would print
    them all alike; two keep the differences readable. Returns 1 or 2.
    """
    spreads = [block[c].max() - block[c].min() for c in ("aulc_mean", "final_accuracy_mean")
               if c in block and block[c].notna().any()]
    return 2 if spreads and max(spreads) * 100 < 1.0 else 1


def fmt_signed_pp(value, digits: int = 1) -> str:
    r"""Format a difference of fractions as signed percentage points for LaTeX.

    ``0.012`` -> ``"\ensuremath{+}1.2"``, ``-0.003`` -> ``"\ensuremath{-}0.3"``; a value
    that rounds to zero has no sign (``"0.0"``); NaN -> ``"n/a"``. ``\ensuremath``
    keeps the result valid in text and in math mode. Rounded half up in decimal
    (:func:`round_half_up`).
    """
    if _missing(value):
        return "n/a"
    v = round_half_up(value, digits, scale=2)
    if v == 0:
        return f"{v:f}"
    sign = r"\ensuremath{-}" if v < 0 else r"\ensuremath{+}"
    return f"{sign}{abs(v):f}"


def fmt_p(value) -> str:
    r"""Format a p-value: three decimals rounded half up (:func:`fmt_num`), ``"\ensuremath{<}0.001"``
    below 0.001, ``"n/a"`` for NaN."""
    if _missing(value):
        return "n/a"
    return r"\ensuremath{<}0.001" if float(value) < 0.001 else fmt_num(value, 3)
