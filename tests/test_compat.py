"""Tests of helpers.compat: the scoped modAL fixes are still needed, sufficient and contained."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
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
    compat.patch_modal()
    data_vstack = compat.original_data_function("data_vstack")  # modAL's own function
    assert not getattr(data_vstack, compat._PATCH_MARK, False)
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


def test_data_functions_are_patched_wherever_modal_imported_them():
    import modAL.models.base
    import modAL.utils
    import modAL.utils.data as modal_data

    learners = compat.patch_modal()
    expected_error = compat.import_modal_module("modAL.expected_error")
    batch = importlib.import_module("modAL.batch")
    for name in compat.DATA_FUNCTIONS:
        fn = getattr(modal_data, name)
        assert getattr(fn, compat._PATCH_MARK, False), name
        assert fn.__wrapped__ is compat.original_data_function(name)
        for module in (modAL.utils, learners, modAL.models.base, expected_error, batch):
            if name in module.__dict__:
                assert module.__dict__[name] is fn, (module.__name__, name)
    first = modal_data.data_vstack
    compat.patch_modal()
    assert modal_data.data_vstack is first  # idempotent


def test_a_module_imported_before_the_patch_is_patched_too(monkeypatch):
    """modAL.batch imported data_vstack by name before the patch: its name is replaced as well."""
    import modAL.batch
    import modAL.utils.data as modal_data

    compat.patch_modal()
    original = compat.original_data_function("data_vstack")
    monkeypatch.setattr(modal_data, "data_vstack", original)
    monkeypatch.setattr(modAL.batch, "data_vstack", original)
    compat.patch_modal()
    assert getattr(modAL.batch.data_vstack, compat._PATCH_MARK, False)
    assert modAL.batch.data_vstack is modal_data.data_vstack


def _inputs():
    """The same 6 x 3 table as a data frame (non-default row labels), an array, a sparse matrix and a list."""
    values = np.arange(18, dtype=float).reshape(6, 3)
    frame = pd.DataFrame(values, columns=[0, 1, 2], index=[10, 11, 12, 13, 14, 15])
    return {"frame": frame, "array": values, "sparse": sp.csr_matrix(values), "list": values.tolist()}


def _dense(X):
    if isinstance(X, pd.DataFrame):
        return X.to_numpy()
    return X.toarray() if sp.issparse(X) else np.asarray(X)


@pytest.mark.parametrize("kind", ["frame", "array", "sparse", "list"])
def test_data_functions_handle_each_input_type(kind):
    from modAL.utils import data

    compat.patch_modal()
    X = _inputs()[kind]
    values = _inputs()["array"]
    top, bottom = data.retrieve_rows(X, [0, 1, 2]), data.retrieve_rows(X, [3, 4, 5])
    assert type(top) is type(X)
    np.testing.assert_array_equal(_dense(data.data_vstack((top, bottom))), values)
    np.testing.assert_array_equal(_dense(data.data_hstack((X, X))), np.hstack((values, values)))
    np.testing.assert_array_equal(_dense(data.drop_rows(X, [1, 4])), values[[0, 2, 3, 5]])
    np.testing.assert_array_equal(_dense(data.retrieve_rows(X, np.array([5, 0]))), values[[5, 0]])
    positions, rows = zip(*data.enumerate_data(X))
    assert list(positions) == list(range(6))
    np.testing.assert_array_equal(np.vstack([_dense(r).reshape(1, -1) for r in rows]), values)
    if kind != "sparse":  # modAL's add_row takes a row as enumerate_data yields it
        np.testing.assert_array_equal(_dense(data.add_row(top, rows[3])), values[:4])


def test_data_frames_keep_labels_and_dtypes_and_index_by_position():
    from modAL.utils import data

    compat.patch_modal()
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}, index=[7, 8, 9])
    stacked = data.data_vstack((frame.iloc[:1], frame.iloc[2:]))
    assert list(stacked.index) == [7, 9]  # row labels kept, as DataFrame.append did
    assert list(data.retrieve_rows(frame, [2]).index) == [9]
    assert data.retrieve_rows(frame, 0).equals(frame.iloc[0])
    assert list(data.drop_rows(frame, 0).index) == [8, 9]
    assert list(data.drop_rows(frame, np.array([True, False, True])).index) == [8]
    _, row = list(data.enumerate_data(frame))[1]
    grown = data.add_row(frame.iloc[:1], row)
    pd.testing.assert_frame_equal(grown, frame.iloc[:2])
    side = data.data_hstack((frame[["a"]], frame[["b"]]))
    pd.testing.assert_frame_equal(side, frame)
    series = pd.Series([1, 2, 3])
    pd.testing.assert_series_equal(data.data_vstack((series, series.iloc[:1])), pd.concat([series, series.iloc[:1]]))
    pd.testing.assert_series_equal(data.drop_rows(series, [0]), series.iloc[1:])


def test_unpatched_modal_mishandles_data_frames():
    """What the data fixes repair (why they exist, beyond DataFrame.append)."""
    compat.patch_modal()
    frame = pd.DataFrame(np.arange(6.0).reshape(3, 2), index=[5, 6, 7])
    assert compat.original_data_function("data_hstack")((frame, frame)) is None
    assert compat.original_data_function("retrieve_rows")(frame, [0]).shape == (3, 1)  # a column
    with pytest.raises(KeyError):
        compat.original_data_function("drop_rows")(frame, [0])


def test_mixed_or_unsupported_inputs_are_one_clear_error():
    from modAL.utils import data

    compat.patch_modal()
    frame = _inputs()["frame"]
    with pytest.raises(TypeError, match="cannot stack a pandas DataFrame with other input types"):
        data.data_vstack((frame, frame.to_numpy()))
    with pytest.raises(TypeError, match="cannot stack a pandas DataFrame with other input types"):
        data.data_vstack((frame.to_numpy(), frame))
    with pytest.raises(TypeError, match="not supported"):
        data.data_vstack((1, 1))
    with pytest.raises(TypeError, match="not supported"):
        data.data_hstack((1, 1))


def test_learner_queries_and_teaches_with_data_frames_by_position():
    from helpers.learner import BufferedActiveLearner
    from modAL.uncertainty import uncertainty_sampling

    frame, y = _frames()
    frame.index = frame.index + 100  # row labels that are not positions
    for cls in (compat.active_learner_class(), BufferedActiveLearner):
        learner = cls(estimator=LogisticRegression(), query_strategy=uncertainty_sampling,
                      X_training=frame.iloc[:20], y_training=y.iloc[:20])
        pool = frame.iloc[20:]
        idx, rows = learner.query(pool, n_instances=3)
        pd.testing.assert_frame_equal(rows, pool.iloc[idx])
        learner.teach(rows, y.iloc[20:].iloc[idx])
        assert len(learner.X_training) == 23 and isinstance(learner.y_training, pd.Series)


def test_expected_error_reduction_with_a_data_frame():
    expected_error = compat.import_modal_module("modAL.expected_error")
    frame, y = _frames()
    frame.index = frame.index + 100
    learner = compat.active_learner_class()(estimator=LogisticRegression(), X_training=frame.iloc[:20],
                                             y_training=y.iloc[:20].to_numpy())
    pool = frame.iloc[20:]
    idx, scores = expected_error.expected_error_reduction(learner, pool, n_instances=2)
    assert len(idx) == 2 and all(0 <= i < len(pool) for i in idx)
    # The same pool as an array gives the same choice: positions mean the same rows.
    learner_arrays = compat.active_learner_class()(estimator=LogisticRegression(),
                                                    X_training=frame.iloc[:20].to_numpy(),
                                                    y_training=y.iloc[:20].to_numpy())
    _, scores_arrays = expected_error.expected_error_reduction(learner_arrays, pool.to_numpy(), n_instances=2)
    np.testing.assert_allclose(np.sort(scores), np.sort(scores_arrays))


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
