"""How the paper names things: roles, datasets, and LaTeX macro names (letters only, so
numbers are spelt out: :func:`macro_name`, :func:`macro_part`).

May import: :mod:`helpers.stats` and the standard library.
"""

from __future__ import annotations

import re

from helpers import stats


#: Roles the paper text refers to, and the model that fills each role (:data:`helpers.stats.ROLES`).
ROLES = stats.ROLES

#: Dataset names as the paper writes them.
DATASET_TEX = {"mnist": "MNIST", "cifar10": "CIFAR-10", "digits": "Digits"}


# --------------------------------------------------------------------------- macros
_ONES = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
         "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen",
         "Eighteen", "Nineteen"]
_TENS = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]


def _number_word(digits: str) -> str:
    """``"10"`` -> ``"Ten"``, ``"42"`` -> ``"FortyTwo"``; beyond 99 digit by digit."""
    n = int(digits)
    if len(digits) > 2 or (len(digits) > 1 and digits.startswith("0")):
        return "".join(_ONES[int(d)] for d in digits)
    if n < 20:
        return _ONES[n]
    return _TENS[n // 10] + (_ONES[n % 10] if n % 10 else "")


def macro_part(identifier: str) -> str:
    """Turn an identifier into a letters-only CamelCase fragment of a macro name.

    Rule: split at every character that is not a letter or digit (``_``, ``-``,
    spaces), capitalise the first letter of each piece and lower-case nothing
    else; runs of digits become English words with a capital (0-99 as one number,
    ``10`` -> ``Ten``, ``42`` -> ``FortyTwo``; longer runs digit by digit).
    Examples: ``mnist_logreg`` -> ``MnistLogreg``, ``cifar10_cnn`` -> ``CifarTenCnn``,
    ``least_confident`` -> ``LeastConfident``, ``stream_uncertainty`` -> ``StreamUncertainty``.
    """
    pieces = re.findall(r"[A-Za-z]+|\d+", str(identifier))
    out = []
    for piece in pieces:
        out.append(_number_word(piece) if piece.isdigit() else piece[0].upper() + piece[1:])
    return "".join(out)


def macro_name(*parts: str) -> str:
    """Join identifiers into a macro name (without backslash) by :func:`macro_part`.

    Raises
    ------
    ValueError
        If the result is empty or not letters only.
    """
    name = "".join(macro_part(p) for p in parts)
    if not re.fullmatch(r"[A-Za-z]+", name):
        raise ValueError(f"cannot build a letters-only macro name from {parts!r}")
    return name


#: How a value of the logistic regression's C reads in a macro name (the ablation's values).
_C_WORDS = {0.001: "Thousandth", 0.01: "Hundredth", 0.1: "Tenth", 1.0: "One", 10.0: "Ten", 100.0: "Hundred"}


def c_macro_part(value: float) -> str:
    """Return the macro-name fragment of one value of C: ``0.01`` -> ``"CHundredth"``, ``1`` -> ``"COne"``.

    Powers of ten from 0.001 to 100 read as words; any other value is spelt by
    :func:`macro_part` of ``"C<value>"`` (``2.5`` -> ``"CTwoFive"``).
    """
    value = float(value)
    word = _C_WORDS.get(value)
    return "C" + word if word else macro_part(f"C{value:g}")
