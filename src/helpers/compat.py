"""Make modAL 0.4.2.1 (its last release, 2022) work on today's scikit-learn and numpy.

Why this module exists
----------------------
modAL 0.4.2.1 breaks in three places on current libraries:

1. ``modAL.models.learners`` calls ``sklearn.utils.check_X_y(..., force_all_finite=...)``.
   scikit-learn 1.6 renamed that keyword to ``ensure_all_finite`` and 1.8 removed the old
   name, so ``ActiveLearner.teach`` raises ``TypeError``.
2. ``modAL.utils.data.data_vstack`` stacks pandas data frames with ``DataFrame.append``,
   which pandas 2.0 removed, so ``teach`` with a data-frame training set raises
   ``AttributeError``; the module's other functions mishandle data frames on any pandas
   (listed below).
3. ``modAL.expected_error`` annotates a parameter with ``np.float``, an alias numpy 1.24
   removed, so merely importing that module raises ``AttributeError``.

What it does, and what it does not
----------------------------------
:func:`patch_modal` (applied when :mod:`helpers.learner` or :mod:`helpers.strategies` is
imported) makes two changes:

- ``check_X_y`` *inside* ``modAL.models.learners`` becomes a thin adapter that renames the
  keyword; scikit-learn's own function is untouched.
- The functions of ``modAL.utils.data`` listed in :data:`DATA_FUNCTIONS` are replaced, in
  that module and under every name another modAL module imported them by; the replacements
  handle pandas input themselves and hand every other input to modAL's own function
  (reachable as :func:`original_data_function`). pandas itself is untouched.

With the patch, pandas input works as follows, and nothing else about modAL changes:

- ``data_vstack`` stacks data frames, or series, with ``pandas.concat`` (row labels kept, as
  ``DataFrame.append`` did); a data frame or series mixed with any other type raises one
  ``TypeError`` ("cannot stack a pandas DataFrame with other input types").
- ``data_hstack`` joins data frames side by side (modAL's own computes it and returns
  ``None``); for a type modAL does not support it raises ``TypeError`` (modAL's returns
  ``None``), the one change for non-pandas input.
- ``add_row`` appends a data frame, or a series as one row (how ``enumerate_data`` yields
  rows), keeping the columns' dtypes.
- ``retrieve_rows`` and ``drop_rows`` take *positions* of a data frame's or series' rows
  (an int, a list, an integer or boolean array), like numpy; modAL's own read ``X[I]``
  (the columns named ``I``) and drop by row label.
- ``enumerate_data`` yields ``(position, row as a series)`` for a data frame (modAL's
  yields row labels, which it then uses as positions).

So ``ActiveLearner`` and :class:`helpers.learner.BufferedActiveLearner` (construction,
``teach``, ``query``) and ``modAL.expected_error.expected_error_reduction`` accept a data
frame ``X`` when every block given to one learner is a data frame; labels may be numpy
arrays, or series except in ``expected_error_reduction`` (it stacks them with an array).
Not covered: ``modAL.batch`` (ranked batch sampling) reshapes and masks ``X`` as an array
and still needs arrays. Otherwise sparse matrices, numpy arrays, lists and torch tensors
behave exactly as in modAL 0.4.2.1.

:func:`import_modal_module` imports a modAL submodule that needs ``np.float`` with the
alias present for the duration of that import only; afterwards numpy is exactly as before.
The study itself needs only the first fix (its data are arrays); the others keep data
frames and ``modAL.expected_error`` usable for users who extend the study.

When to delete it
-----------------
When a modAL release newer than 0.4.2.1 is installed, or when :func:`needs_check_x_y_patch`
returns ``False`` for the installed versions (the test suite checks that the patch is still
needed and still sufficient, so an upgrade that fixes modAL makes a test tell you).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import sys
from types import ModuleType

import numpy as np
import pandas as pd
import sklearn.utils

_PATCH_MARK = "_helpers_compat_patch"


def needs_check_x_y_patch() -> bool:
    """Return ``True`` when scikit-learn's ``check_X_y`` no longer accepts ``force_all_finite``."""
    return "force_all_finite" not in inspect.signature(sklearn.utils.check_X_y).parameters


def _make_check_x_y(original):
    @functools.wraps(original)
    def check_x_y(*args, **kwargs):
        # modAL passes the pre-1.6 keyword; translate it to the current one.
        if "force_all_finite" in kwargs:
            kwargs["ensure_all_finite"] = kwargs.pop("force_all_finite")
        return original(*args, **kwargs)

    setattr(check_x_y, _PATCH_MARK, True)
    return check_x_y


def needs_data_vstack_patch() -> bool:
    """Return ``True`` when pandas no longer has ``DataFrame.append`` (pandas >= 2)."""
    return not hasattr(pd.DataFrame, "append")


#: The functions of ``modAL.utils.data`` that :func:`patch_modal` replaces.
DATA_FUNCTIONS = ("data_vstack", "data_hstack", "add_row", "retrieve_rows", "drop_rows", "enumerate_data")

_PANDAS = (pd.DataFrame, pd.Series)


def _positions(X, I) -> np.ndarray:
    """Return the positions ``I`` (an int, a sequence, an integer or boolean array) of ``X``'s rows."""
    return np.arange(len(X))[np.asarray(I)].reshape(-1)


def _make_data_functions(original: dict) -> dict:
    """Return the replacements of :data:`DATA_FUNCTIONS`; each hands non-pandas input to modAL's own."""

    def data_vstack(blocks):
        blocks = list(blocks)
        if blocks and any(isinstance(b, _PANDAS) for b in blocks):
            kind = type(blocks[0])
            if not all(isinstance(b, kind) and isinstance(b, _PANDAS) for b in blocks):
                raise TypeError("cannot stack a pandas DataFrame with other input types; "
                                "give the training set and the new rows as the same type")
            return pd.concat(blocks)  # row labels kept, as DataFrame.append did
        return original["data_vstack"](blocks)

    def data_hstack(blocks):
        blocks = list(blocks)
        if blocks and isinstance(blocks[0], pd.DataFrame):
            return pd.concat(blocks, axis=1)  # modAL computes this and returns None
        result = original["data_hstack"](blocks)
        if result is None:  # modAL builds the error for an unsupported type but does not raise it
            raise TypeError(f"{type(blocks[0]) if blocks else 'an empty sequence'} datatype is not supported")
        return result

    def add_row(X, row):
        if isinstance(X, pd.DataFrame) and isinstance(row, pd.Series):
            # enumerate_data yields a data frame's rows as series: append one as a row.
            return pd.concat([X, pd.DataFrame([row], columns=X.columns).astype(X.dtypes.to_dict())])
        if isinstance(X, _PANDAS):
            return data_vstack([X, row])
        return original["add_row"](X, row)

    def retrieve_rows(X, I):
        if isinstance(X, _PANDAS):
            # By position, like numpy (modAL's X[I] picks a data frame's *columns* named I).
            return X.iloc[I]
        return original["retrieve_rows"](X, I)

    def drop_rows(X, I):
        if isinstance(X, _PANDAS):
            keep = np.ones(len(X), dtype=bool)
            keep[_positions(X, I)] = False
            return X.iloc[keep]  # by position, consistent with retrieve_rows and enumerate_data
        return original["drop_rows"](X, I)

    def enumerate_data(X):
        if isinstance(X, pd.DataFrame):
            # Positions, not row labels: modAL uses them to index arrays of scores.
            return enumerate(row for _, row in X.iterrows())
        return original["enumerate_data"](X)

    replacements = {}
    for fn in (data_vstack, data_hstack, add_row, retrieve_rows, drop_rows, enumerate_data):
        fn = functools.wraps(original[fn.__name__])(fn)
        setattr(fn, _PATCH_MARK, True)
        replacements[fn.__name__] = fn
    return replacements


_DATA_PATCH: dict = {}


def _data_patch() -> dict:
    """Return ``{"original": {name: modAL's function}, "replacement": {name: ours}}``, made once."""
    if not _DATA_PATCH:
        data = importlib.import_module("modAL.utils.data")
        original = {}
        for name in DATA_FUNCTIONS:
            fn = getattr(data, name)
            original[name] = fn.__wrapped__ if getattr(fn, _PATCH_MARK, False) else fn
        _DATA_PATCH.update(original=original, replacement=_make_data_functions(original))
    return _DATA_PATCH


def _patch_data_functions() -> None:
    patch = _data_patch()
    # modAL's modules import these functions by name (``from modAL.utils.data import
    # data_vstack``): replace each name bound to an original, in every modAL module loaded;
    # modules imported later bind the replacements.
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == "modAL" or module_name.startswith("modAL.")):
            continue
        for name, fn in patch["original"].items():
            if module.__dict__.get(name) is fn:
                setattr(module, name, patch["replacement"][name])


def original_data_function(name: str):
    """Return modAL's own, unpatched function ``name`` of ``modAL.utils.data``.

    Returns
    -------
    callable
        The function as modAL 0.4.2.1 defines it (for tests and comparisons).
    """
    return _data_patch()["original"][name]


def patch_modal() -> ModuleType:
    """Apply the ``check_X_y`` fix to ``modAL.models.learners`` and the data fixes to modAL (idempotent).

    Returns
    -------
    module
        The ``modAL.models.learners`` module, patched where the installed scikit-learn and
        pandas need it.
    """
    learners = importlib.import_module("modAL.models.learners")
    if needs_check_x_y_patch() and not getattr(learners.check_X_y, _PATCH_MARK, False):
        learners.check_X_y = _make_check_x_y(sklearn.utils.check_X_y)
    if needs_data_vstack_patch():
        _patch_data_functions()
    return learners


@contextlib.contextmanager
def _numpy_float_alias():
    """Provide ``np.float`` (== ``float``) inside the block only, when numpy lacks it."""
    had_alias = "float" in np.__dict__
    if not had_alias:
        np.float = float  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if not had_alias:
            del np.float  # type: ignore[attr-defined]


def import_modal_module(name: str) -> ModuleType:
    """Import a modAL submodule (e.g. ``"modAL.expected_error"``) on numpy 2.

    The ``np.float`` alias exists only while the module's definitions are evaluated.

    Returns
    -------
    module
        The imported module.
    """
    patch_modal()
    with _numpy_float_alias():
        return importlib.import_module(name)


def active_learner_class():
    """Return modAL's ``ActiveLearner`` with the compatibility fix applied."""
    return patch_modal().ActiveLearner
