"""Tests of helpers.report.numbers: the one rounding rule and the number formatters.
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import report


def test_latex_escape_and_formatting():
    assert report.latex_escape("least_confident 10%") == r"least\_confident 10\%"
    assert report.fmt_pct(0.91234) == "91.2"
    assert report.fmt_signed_pp(-0.0031) == r"\ensuremath{-}0.3"
    assert report.fmt_signed_pp(0.00001) == "0.0"
    assert report.fmt_p(0.0625) == "0.063"  # half up in decimal (the one rounding rule), not half-even
    assert report.fmt_p(0.0001) == r"\ensuremath{<}0.001"
    assert report.fmt_p(float("nan")) == "n/a"


def test_close_strategies_get_two_decimals():
    close = pd.DataFrame({"aulc_mean": [0.9170, 0.9173], "final_accuracy_mean": [0.9168, 0.9175]})
    far = pd.DataFrame({"aulc_mean": [0.79, 0.84], "final_accuracy_mean": [0.86, 0.89]})
    assert report.experiment_digits(close) == 2
    assert report.experiment_digits(far) == 1
    assert report.fmt_signed_pp(0.0003, 2) == r"\ensuremath{+}0.03"


# --------------------------------------------------------------------------- one rounding rule
@pytest.mark.parametrize("value, digits, expected", [(3.55, 1, "3.6"), (2.35, 1, "2.4"), (0.125, 2, "0.13"),
                                                     (-3.55, 1, "-3.6"), (-2.35, 1, "-2.4"), (-0.125, 2, "-0.13"),
                                                     (2.5, 0, "3"), (-2.5, 0, "-3"), (-0.04, 1, "0.0"),
                                                     (1.0, 2, "1.00")])
def test_every_number_rounds_half_up_in_decimal(value, digits, expected):
    assert report.fmt_num(value, digits) == expected


def test_formatters_share_the_half_up_rule():
    assert report.fmt_pct(0.0355) == "3.6" and report.fmt_pct(0.0235) == "2.4"
    assert report.fmt_pct(0.00125, 2) == "0.13" and report.fmt_pct(-0.0355) == "-3.6"
    assert report.fmt_signed_pp(0.0355) == r"\ensuremath{+}3.6"
    assert report.fmt_signed_pp(-0.0355) == r"\ensuremath{-}3.6"
    assert report.fmt_signed_pp(-0.0004) == "0.0"  # rounds to zero: no sign
    assert report.fmt_p(0.0625) == "0.063" and report.fmt_p(0.0004) == r"\ensuremath{<}0.001"
    assert report.fmt_num(12345.5, 0, thousands=True) == "12{,}346"
    assert report.fmt_num(204570, 2, scale=-6) == "0.20"
    assert report.fmt_sig(2 / 2 ** 20, 4) == "1.907e-06" and report.fmt_sig(0.00125, 2) == "0.0013"
    assert report.fmt_num(float("nan")) == report.fmt_sig(None) == "n/a"


def test_fmt_sig_tex_writes_exponents_as_latex():
    assert report.fmt_sig_tex(0.25) == "0.25" and report.fmt_sig_tex(8 / 2 ** 10) == "0.0078"
    assert report.fmt_sig_tex(8 / 2 ** 20) == r"\ensuremath{7.6 \cdot 10^{-6}}"
    assert report.fmt_sig_tex(0.000125) == "0.00013"  # half up, no exponent yet
    assert report.fmt_sig_tex(float("nan")) == "n/a"
    assert "half" in report.fmt_num.__doc__ + report.round_half_up.__doc__
