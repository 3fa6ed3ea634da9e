"""Tests of helpers.compat: the scoped modAL fixes are still needed, sufficient and contained."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pandas as pd
import pytest
import sklearn.utils
from sklearn.linear_model import LogisticRegression

from helpers import compat


def _tiny_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = np.arange(30) % 3
    return X, y


def test_patch_is_still_needed():
    assert compat.needs_check_x_y_patch(), (
        "scikit-learn's check_X_y accepts force_all_finite again, so modAL 0.4.2.1 works "
        "unpatched: helpers.compat (and its use in strategies.py / loop.py) can be deleted"
    )


def test_unpatched_modal_teach_fails(monkeypatch):
    """Without the patch, ActiveLearner.teach breaks on this scikit-learn (why compat exists)."""
    learners = importlib.import_module("modAL.models.learners")
    monkeypatch.setattr(learners, "check_X_y", sklearn.utils.check_X_y)
    X, y = _tiny_problem()
    learner = learners.ActiveLearner(estimator=LogisticRegression(), X_training=X[:20], y_training=y[:20])
    with pytest.raises(TypeError, match="force_all_finite"):
        learner.teach(X[20:25], y[20:25])


def test_patched_active_learner_teaches():
    ActiveLearner = compat.active_learner_class()
    X, y = _tiny_problem()
    learner = ActiveLearner(estimator=LogisticRegression(), X_training=X[:20], y_training=y[:20])
    learner.teach(X[20:25], y[20:25])
    assert len(learner.y_training) == 25
    assert learner.predict_proba(X).shape == (30, 3)


def test_patch_leaves_sklearn_untouched():
    before = sklearn.utils.check_X_y
    learners = compat.patch_modal()
    assert sklearn.utils.check_X_y is before
    assert learners.check_X_y is not before  # only modAL's name is replaced
    X, y = _tiny_problem()
    with pytest.raises(TypeError):
        sklearn.utils.check_X_y(X, y, force_all_finite=True)
    # The adapter translates the old keyword and forwards to scikit-learn's function.
    Xc, yc = learners.check_X_y(X, y, force_all_finite=True)
    assert np.array_equal(Xc, X) and np.array_equal(yc, y)


def test_patch_is_idempotent():
    first = compat.patch_modal().check_X_y
    second = compat.patch_modal().check_X_y
    assert first is second
    assert getattr(second, compat._PATCH_MARK, False)
    # The adapter wraps scikit-learn's function directly, not a previous adapter.
    assert second.__wrapped__ is sklearn.utils.check_X_y


def test_data_frame_patch_is_still_needed():
    assert compat.needs_data_vstack_patch(), (
        "pandas has DataFrame.append again, so modAL's data_vstack works unpatched on data frames"
    )


def _frames():
    X, y = _tiny_problem()
    frame = pd.DataFrame(X, columns=list("abcd"))
    return frame, pd.Series(y)


def test_unpatched_modal_cannot_stack_data_frames():
    from modAL.utils.data import data_vstack  # modAL's own function, never patched

    frame, _ = _frames()
    with pytest.raises(AttributeError, match="append"):
        data_vstack((frame.iloc[:20], frame.iloc[20:25]))


def test_patched_learner_teaches_with_data_frames():
    from helpers.learner import BufferedActiveLearner

    frame, y = _frames()
    for cls in (compat.active_learner_class(), BufferedActiveLearner):
        learner = cls(estimator=LogisticRegression(), X_training=frame.iloc[:20], y_training=y.iloc[:20].to_numpy())
        learner.teach(frame.iloc[20:25], y.iloc[20:25].to_numpy())
        assert isinstance(learner.X_training, pd.DataFrame)
        pd.testing.assert_frame_equal(learner.X_training, frame.iloc[:25])  # row labels kept, as append did
        assert len(learner.y_training) == 25
        assert learner.predict_proba(frame).shape == (30, 3)


def test_mixing_a_data_frame_with_an_array_is_one_clear_error():
    frame, y = _frames()
    learner = compat.active_learner_class()(estimator=LogisticRegression(), X_training=frame.iloc[:20],
                                             y_training=y.iloc[:20].to_numpy())
    with pytest.raises(TypeError, match="cannot stack a pandas DataFrame with other input types"):
        learner.teach(frame.iloc[20:25].to_numpy(), y.iloc[20:25].to_numpy())
    assert len(learner.X_training) == 20


def test_data_vstack_patch_is_scoped_and_delegates():
    import modAL.utils.data as modal_data

    learners = compat.patch_modal()
    assert learners.data_vstack is not modal_data.data_vstack
    assert learners.data_vstack.__wrapped__ is modal_data.data_vstack
    assert compat.patch_modal().data_vstack is learners.data_vstack  # idempotent
    a, b = np.ones((2, 3)), np.zeros((1, 3))
    assert np.array_equal(learners.data_vstack((a, b)), np.vstack((a, b)))


def test_import_expected_error_without_leaking_np_float(monkeypatch):
    assert "float" not in np.__dict__
    monkeypatch.delitem(sys.modules, "modAL.expected_error", raising=False)
    module = compat.import_modal_module("modAL.expected_error")
    assert hasattr(module, "expected_error_reduction")
    assert "float" not in np.__dict__
    assert not hasattr(np, "float")


def test_expected_error_needs_the_alias(monkeypatch):
    """A plain import still fails on this numpy (why import_modal_module exists)."""
    monkeypatch.delitem(sys.modules, "modAL.expected_error", raising=False)
    with pytest.raises(AttributeError):
        importlib.import_module("modAL.expected_error")
    assert "float" not in np.__dict__


def test_alias_removed_even_when_import_fails(monkeypatch):
    with pytest.raises(ModuleNotFoundError):
        compat.import_modal_module("modAL.no_such_module")
    assert "float" not in np.__dict__
