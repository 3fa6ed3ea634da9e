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
