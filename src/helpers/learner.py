"""modAL's ``ActiveLearner`` with a labelled set that grows without re-copying itself.

modAL 0.4.2.1 appends newly labelled rows with ``np.vstack((X_training, X))``, which
copies the whole labelled set on every ``teach``. In the MNIST ``large`` experiment that
is 38,400 x 784 floats (120 MB) per query, about a fifth of an iteration's cost once
fine-tuning is cheap. :class:`BufferedActiveLearner` keeps the labelled rows in a
buffer with spare capacity and exposes ``X_training`` / ``y_training`` as views of its
filled part, so appending k rows copies k rows. Everything else (querying, fitting,
validation of the new rows) is modAL's own code.

``query`` differs from modAL's in one respect: modAL 0.4.2.1 calls the query strategy
inside a bare ``try/except`` and, on *any* exception (a Ctrl-C included), calls it a second
time assuming it returned no metrics. So an interrupt during scoring is swallowed and a
failing strategy runs twice. Here the strategy is called once and its exceptions propagate.
"""

from __future__ import annotations

import warnings

import numpy as np
from modAL.utils import data as _modal_data

from . import compat

_learners = compat.patch_modal()

#: Factor by which a full buffer grows; 1.5 keeps the spare memory below half the set.
GROWTH = 1.5


class BufferedActiveLearner(_learners.ActiveLearner):
    """``modAL.models.ActiveLearner`` whose ``teach`` appends into a growing buffer.

    Same constructor and behaviour as modAL's class. Dense numpy arrays are buffered;
    any other input (sparse matrices, lists, pandas data frames) falls back to modAL's
    stacking, with the data-frame fix of :mod:`helpers.compat` applied.
    """

    _X_buffer: np.ndarray | None = None
    _y_buffer: np.ndarray | None = None

    def query(self, X_pool, *query_args, return_metrics: bool = False, **query_kwargs):
        """Call the query strategy once on ``X_pool``.

        Returns
        -------
        tuple
            ``(indices, rows)`` as modAL returns them, plus the strategy's metrics with
            ``return_metrics`` (None, with a warning, when it returned indices only).
        """
        result = self.query_strategy(self, X_pool, *query_args, **query_kwargs)
        if isinstance(result, tuple) and len(result) == 2:
            query_result, query_metrics = result
        else:
            query_result, query_metrics = result, None
        if return_metrics:
            if query_metrics is None:
                warnings.warn("The selected query strategy doesn't support return_metrics")
            return query_result, _modal_data.retrieve_rows(X_pool, query_result), query_metrics
        return query_result, _modal_data.retrieve_rows(X_pool, query_result)

    def _is_buffer_view(self) -> bool:
        # X_training may have been reassigned from outside; the buffer is only valid
        # while X_training is still the view this class handed out.
        return (self._X_buffer is not None and self.X_training.base is self._X_buffer
                and self.y_training.base is self._y_buffer)

    def _add_training_data(self, X, y) -> None:
        if not (isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
                and isinstance(self.X_training, np.ndarray) and isinstance(self.y_training, np.ndarray)):
            super()._add_training_data(X, y)
            return
        # modAL's own validation of the new rows (with the scikit-learn fix applied).
        _learners.check_X_y(X, y, accept_sparse=True, ensure_2d=False, allow_nd=True, multi_output=True,
                            dtype=None, force_all_finite=self.force_all_finite)
        if X.shape[1:] != self.X_training.shape[1:] or y.shape[1:] != self.y_training.shape[1:]:
            raise ValueError("the dimensions of the new training data and labels must agree with the "
                             "training data and labels provided so far")
        n_old, n_new = len(self.X_training), len(X)
        X_dtype = np.result_type(self.X_training, X)
        y_dtype = np.result_type(self.y_training, y)
        if (not self._is_buffer_view() or n_old + n_new > len(self._X_buffer)
                or X_dtype != self._X_buffer.dtype or y_dtype != self._y_buffer.dtype):
            capacity = max(n_old + n_new, int(GROWTH * n_old))
            X_buffer = np.empty((capacity, *self.X_training.shape[1:]), dtype=X_dtype)
            y_buffer = np.empty((capacity, *self.y_training.shape[1:]), dtype=y_dtype)
            X_buffer[:n_old] = self.X_training
            y_buffer[:n_old] = self.y_training
            self._X_buffer, self._y_buffer = X_buffer, y_buffer
        self._X_buffer[n_old:n_old + n_new] = X
        self._y_buffer[n_old:n_old + n_new] = y
        self.X_training = self._X_buffer[:n_old + n_new]
        self.y_training = self._y_buffer[:n_old + n_new]
