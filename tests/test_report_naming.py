"""Tests of helpers.report.naming: macro names.
"""

from __future__ import annotations

import pytest

from helpers import report


def test_macro_names_are_letters_only_and_deterministic():
    assert report.macro_name("mnist_logreg", "small", "margin", "FinalAcc") == \
        "MnistLogregSmallMarginFinalAcc"
    assert report.macro_name("cifar10_cnn", "large", "stream_uncertainty") == \
        "CifarTenCnnLargeStreamUncertainty"
    assert report.macro_part("seed42") == "SeedFortyTwo"
    assert report.macro_part("x123") == "XOneTwoThree"
    with pytest.raises(ValueError):
        report.macro_name("__")


def test_values_of_c_read_as_words_in_macro_names():
    assert [report.c_macro_part(c) for c in (0.01, 0.1, 1, 10.0)] == ["CHundredth", "CTenth", "COne", "CTen"]
    assert report.c_macro_part(2.5) == "CTwoFive"  # not a power of ten: spelt digit by digit
    assert report.c_macro_part(0.25) == "CZeroTwentyFive"
