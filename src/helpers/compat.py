"""Make modAL 0.4.2.1 (its last release, 2022) work on today's scikit-learn and numpy.

Why this module exists
----------------------
modAL 0.4.2.1 breaks in three places on current libraries:

1. ``modAL.models.learners`` calls ``sklearn.utils.check_X_y(..., force_all_finite=...)``.
   scikit-learn 1.6 renamed that keyword to ``ensure_all_finite`` and 1.8 removed the old
   name, so ``ActiveLearner.teach`` raises ``TypeError``.
2. ``modAL.utils.data.data_vstack`` stacks pandas data frames with ``DataFrame.append``,
   which pandas 2.0 removed, so ``teach`` with a data-frame training set raises
   ``AttributeError``.
3. ``modAL.expected_error`` annotates a parameter with ``np.float``, an alias numpy 1.24
   removed, so merely importing that module raises ``AttributeError``.

What it does, and what it does not
----------------------------------
:func:`patch_modal` replaces two names *inside* ``modAL.models.learners`` only: ``check_X_y``
with a thin adapter that renames the keyword, and ``data_vstack`` with one that stacks data
frames with ``pandas.concat`` (row labels kept, as ``append`` did) and hands every other
input to modAL's own function. scikit-learn, pandas, ``modAL.utils`` and every other caller
are untouched. :func:`import_modal_module` imports a modAL submodule that
needs ``np.float`` with the alias present for the duration of that import only; afterwards
numpy is exactly as before. The study itself needs only the first fix (its data are
arrays); the others keep data frames and ``modAL.expected_error`` usable for users who
extend the study.

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


def _make_data_vstack(original):
    @functools.wraps(original)
    def data_vstack(blocks):
        if len(blocks) and all(isinstance(b, pd.DataFrame) for b in blocks):
            return pd.concat(list(blocks))
        if any(isinstance(b, pd.DataFrame) for b in blocks):
            raise TypeError("cannot stack a pandas DataFrame with other input types; "
                            "give the training set and the new rows as the same type")
        return original(blocks)

    setattr(data_vstack, _PATCH_MARK, True)
    return data_vstack


def patch_modal() -> ModuleType:
    """Apply the scoped ``check_X_y`` and ``data_vstack`` fixes to ``modAL.models.learners`` (idempotent).

    Returns
    -------
    module
        The ``modAL.models.learners`` module, patched where the installed scikit-learn and
        pandas need it.
    """
    learners = importlib.import_module("modAL.models.learners")
    if needs_check_x_y_patch() and not getattr(learners.check_X_y, _PATCH_MARK, False):
        learners.check_X_y = _make_check_x_y(sklearn.utils.check_X_y)
    if needs_data_vstack_patch() and not getattr(learners.data_vstack, _PATCH_MARK, False):
        learners.data_vstack = _make_data_vstack(learners.data_vstack)
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
