"""The study's two models, both fine-tuned (never re-initialised) between queries.

Logistic regression
    scikit-learn's multinomial ``LogisticRegression`` (lbfgs, C=0.01, max_iter=500,
    tol=1e-3) for pre-training on the initial labelled set. Fine-tuning after a query
    starts from the current weights (``warm_start``). Measured fact: with tol=1e-3 such a
    refit usually stops after **zero** iterations, because adding a handful of samples to
    thousands barely moves the mean gradient, so the model would never change. Fine-tuning
    therefore runs a fixed budget of ``finetune_max_iter`` L-BFGS iterations (tolerance 0),
    the counterpart of the CNN's fine-tuning epochs; ``fit_steps_`` records how many ran.

CNN
    ``conv(in -> l1) + ReLU -> conv(l1 -> l2) + ReLU + max-pool + dropout -> flatten ->
    fc(l4) + ReLU + dropout -> fc(l5) + ReLU + dropout -> fc(n_classes)``, 2x2 max-pool,
    cross-entropy loss, Adam (lr 1e-3), batch 128. The study fixes this shape; the widths
    l1/l2/l4/l5 = 16/32/128/64, 3x3 kernels without padding and dropout 0.25 are this
    project's choice (about 0.82 M parameters on 32x32 inputs): the most accurate of the
    settings measured by ``benchmarks/pilot_cnn_widths.py`` on the validation split whose
    cost lets the CIFAR-10 grid run on two CPU cores (the numbers are in
    ``config.CNN_PARAMS``). Pre-training runs 10 epochs on
    the initial labelled set; each fine-tuning runs a fixed number of Adam steps
    (``finetune_steps``) on batches drawn from the whole labelled set, so its cost does not
    grow with the set (``finetune_steps=None`` restores the first edition's
    ``finetune_epochs`` epochs). Wrapped by skorch with ``warm_start=True`` (skorch would
    otherwise re-initialise the module on every ``fit``) and ``train_split=None`` (the
    labelled set can be ten images; validation data is held out separately).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from skorch import NeuralNetClassifier
from torch import nn

from helpers.config import FINETUNE_MODES


class FineTunedLogisticRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression whose later fits fine-tune the previous weights.

    Parameters
    ----------
    C, max_iter, tol : float, int, float
        Regularisation and the stopping rule of the first (pre-training) fit.
    finetune_max_iter : int
        L-BFGS iterations of every later fit, run from the current weights (``"fixed"``).
    finetune : {"fixed", "converge", "cold"}
        How later fits update the model. ``"fixed"`` (the study's rule): exactly
        ``finetune_max_iter`` iterations from the current weights. ``"converge"``: from the
        current weights until the gradient criterion ``finetune_tol`` is met (at most
        ``max_iter`` iterations). ``"cold"``: a new model trained from scratch with
        ``max_iter`` and ``tol``, what modAL's ``teach`` does with a plain scikit-learn
        estimator. The last two exist for the fine-tuning ablation.
    finetune_tol : float
        Stopping tolerance of ``"converge"``.
    warm_start : bool
        If False, every fit starts from scratch with ``max_iter`` and ``tol`` (as ``"cold"``).
    random_state : int, optional
        Passed to ``LogisticRegression`` (lbfgs itself is deterministic).

    Attributes
    ----------
    model_ : LogisticRegression
        The fitted scikit-learn model.
    fit_steps_ : int
        L-BFGS iterations run by the last fit.
    cold_fit_ : bool
        True when the last fit started from scratch: the first fit, ``warm_start=False``,
        or a labelled set whose classes differ from the model's. A query that brings a class
        the model has never seen cannot be fine-tuned into the weights (the coefficient
        matrix has one row per known class), so that fit re-trains from scratch with
        ``max_iter`` and ``tol``; the loop records it in the ``cold_refit`` column.
    n_fits_ : int
        Number of fits since the last cold fit.
    """

    def __init__(self, C=0.01, max_iter=500, tol=1e-3, finetune_max_iter=3, finetune="fixed", finetune_tol=1e-6,
                 warm_start=True, random_state=None):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.finetune_max_iter = finetune_max_iter
        self.finetune = finetune
        self.finetune_tol = finetune_tol
        self.warm_start = warm_start
        self.random_state = random_state

    def fit(self, X, y):
        """Pre-train (first call) or fine-tune (later calls) on ``X, y``; return self."""
        if self.finetune not in FINETUNE_MODES:
            raise ValueError(f"finetune must be one of {FINETUNE_MODES}, got {self.finetune!r}")
        fine_tune = (
            self.warm_start
            and self.finetune != "cold"
            and hasattr(self, "model_")
            and np.array_equal(np.unique(y), self.model_.classes_)  # new classes need a cold fit
        )
        if fine_tune and self.finetune == "converge":
            self.model_.set_params(max_iter=self.max_iter, tol=self.finetune_tol)
        elif fine_tune:
            # tol=0: run exactly the fine-tuning budget instead of stopping at once.
            self.model_.set_params(max_iter=self.finetune_max_iter, tol=0.0)
        else:
            self.model_ = LogisticRegression(
                C=self.C, solver="lbfgs", max_iter=self.max_iter, tol=self.tol,
                warm_start=self.warm_start, random_state=self.random_state,
            )
            self.n_fits_ = 0
        with warnings.catch_warnings():
            # Hitting the iteration budget is the point of fixed-budget fine-tuning.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(X, y)
        self.classes_ = self.model_.classes_
        self.cold_fit_ = not fine_tune
        self.fit_steps_ = int(np.max(self.model_.n_iter_))
        self.n_fits_ += 1
        return self

    def predict_proba(self, X):
        """Return class probabilities, shape (n_samples, n_classes)."""
        return self.model_.predict_proba(X)

    def predict(self, X):
        """Return the most likely class of each sample."""
        return self.model_.predict(X)


class CNN(nn.Module):
    """The study's CNN: two convolutions and three fully connected layers.

    Parameters
    ----------
    in_channels, image_size, n_classes : int
        Input channels, input height (= width) in pixels and number of classes.
    l1_channels, l2_channels : int
        Output channels of the two convolutions.
    l4_input, l5_input : int
        Widths of the two hidden fully connected layers.
    dropout : float
        Dropout probability after the pooling and after each hidden fc layer.
    kernel_size, padding : int
        Of both convolutions (the study fixes the layer shape, not these).
    channels_last : bool
        Run the convolutions on channels-last tensors (a CPU speed setting; the numbers
        may differ in the last bits).
    """

    def __init__(self, in_channels=3, image_size=32, n_classes=10, l1_channels=16, l2_channels=32,
                 l4_input=128, l5_input=64, dropout=0.25, kernel_size=3, padding=0, channels_last=False):
        super().__init__()
        side = image_size + 2 * (2 * padding - kernel_size + 1)  # after the two convolutions
        if side < 2:
            raise ValueError(f"{image_size}x{image_size} inputs are too small for two {kernel_size}x{kernel_size} "
                             f"convolutions with padding {padding}")
        flat = l2_channels * (side // 2) ** 2
        self.channels_last = channels_last
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, l1_channels, kernel_size, padding=padding), nn.ReLU(),
            nn.Conv2d(l1_channels, l2_channels, kernel_size, padding=padding), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(dropout),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, l4_input), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(l4_input, l5_input), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(l5_input, n_classes),
        )
        if channels_last:
            self.features.to(memory_format=torch.channels_last)

    def forward(self, X):
        """Return class logits, shape (batch, n_classes)."""
        if self.channels_last:
            X = X.contiguous(memory_format=torch.channels_last)
        return self.classifier(self.features(X))


class FineTunedNet(NeuralNetClassifier):
    """skorch classifier whose first fit pre-trains and later fits fine-tune.

    The first ``fit`` runs ``max_epochs``; with ``warm_start=True`` every later ``fit``
    continues from the current weights and optimiser state, for ``finetune_epochs`` epochs
    over the labelled set or, when ``finetune_steps`` is set, for exactly that many
    optimiser steps on batches of ``batch_size`` distinct labelled instances drawn at
    random (torch's generator, seeded by the run) for each step. ``fit_steps_`` records the
    epochs or steps the last fit ran; ``cold_fit_`` is True when the last fit
    (re-)initialised the module (the output layer covers every class from the start, so a
    new class never forces one).

    ``predict_proba`` runs the module on consecutive slices of ``predict_batch_size`` rows
    under ``torch.inference_mode``, without skorch's per-sample dataset and data loader:
    the same batches and operations as skorch's own prediction, at a fraction of the
    overhead.
    """

    def __init__(self, *args, finetune_epochs=2, finetune_steps=None, predict_batch_size=1024, **kwargs):
        super().__init__(*args, **kwargs)
        self.finetune_epochs = finetune_epochs
        self.finetune_steps = finetune_steps
        self.predict_batch_size = predict_batch_size

    def fit(self, X, y=None, **fit_params):
        """Pre-train or fine-tune on ``X, y``; return self."""
        fine_tune = self.warm_start and getattr(self, "initialized_", False) and len(self.history) > 0
        if not fine_tune:
            self.initialize()
        self.cold_fit_ = not fine_tune
        if fine_tune and self.finetune_steps is not None:
            self._take_steps(X, y, int(self.finetune_steps))
            self.fit_steps_ = int(self.finetune_steps)
            return self
        before = len(self.history)
        epochs = self.finetune_epochs if fine_tune else self.max_epochs
        self.partial_fit(X, y, epochs=epochs, **fit_params)
        self.fit_steps_ = len(self.history) - before
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's training loop; an interrupt is remembered for :meth:`partial_fit` to re-raise."""
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt as interrupt:
            self._interrupt = interrupt
            raise

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's ``partial_fit``, except that an interrupt propagates; return self.

        skorch catches ``KeyboardInterrupt`` in ``partial_fit`` and returns the half-trained
        model as if training had finished (its interactive convenience). Here Ctrl-C, or the
        grid's SIGTERM handler (which raises ``KeyboardInterrupt``), propagates after skorch's
        ``on_train_end`` callbacks, so an interrupted pre-training or whole-pool reference fit
        is never stored as a finished one (one reference was: 5 s of training, 90 % instead of
        99 % on MNIST).
        """
        self._interrupt = None
        super().partial_fit(X, y, classes=classes, **fit_params)
        interrupt, self._interrupt = self._interrupt, None
        if interrupt is not None:
            raise interrupt
        return self

    def _take_steps(self, X, y, steps: int) -> None:
        n = len(X)
        size = min(int(self.batch_size), n)
        X = torch.as_tensor(np.asarray(X))
        y = torch.as_tensor(np.asarray(y))
        for _ in range(steps):
            rows = torch.randperm(n)[:size]
            self.train_step((X[rows].to(self.device), y[rows].to(self.device)))

    def predict_proba(self, X):
        """Return class probabilities, shape (n_samples, n_classes), computed in slices."""
        self.check_is_fitted()
        self.module_.eval()
        X = np.asarray(X)
        parts = []
        with torch.inference_mode():
            for start in range(0, len(X), int(self.predict_batch_size)):
                batch = torch.as_tensor(X[start:start + int(self.predict_batch_size)], device=self.device)
                parts.append(torch.softmax(self.module_(batch), dim=1).cpu().numpy())
        return np.concatenate(parts) if parts else np.empty((0, len(self.classes_)), dtype=np.float32)


def resolve_device(device: str = "auto") -> str:
    """Return ``"cuda"`` for ``"auto"`` when a GPU is visible, else ``"cpu"``; other values as given."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but torch sees no GPU; use device='auto' or 'cpu'")
    return device


def make_logreg(params: dict, seed: int) -> FineTunedLogisticRegression:
    """Return the study's logistic regression with ``params`` (see ``config.LOGREG_PARAMS``)."""
    return FineTunedLogisticRegression(
        C=params["C"], max_iter=params["max_iter"], tol=params["tol"],
        finetune_max_iter=params["finetune_max_iter"], finetune=params["finetune"],
        finetune_tol=params["finetune_tol"], random_state=seed,
    )


def make_cnn(params: dict, input_shape: tuple[int, int, int], n_classes: int, device: str = "auto") -> FineTunedNet:
    """Return the skorch-wrapped CNN for inputs of shape (channels, size, size).

    Returns
    -------
    FineTunedNet
        Unfitted; seed torch before fitting for a deterministic initialisation.
    """
    channels, height, width = input_shape
    if height != width:
        raise ValueError(f"the CNN expects square images, got {height}x{width}")
    return FineTunedNet(
        CNN,
        module__in_channels=channels, module__image_size=height, module__n_classes=n_classes,
        module__l1_channels=params["l1_channels"], module__l2_channels=params["l2_channels"],
        module__l4_input=params["l4_input"], module__l5_input=params["l5_input"],
        module__dropout=params["dropout"], module__kernel_size=params["kernel_size"],
        module__padding=params["padding"], module__channels_last=params["channels_last"],
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam, lr=params["lr"],
        batch_size=params["batch_size"],
        max_epochs=params["pretrain_epochs"], finetune_epochs=params["finetune_epochs"],
        finetune_steps=params["finetune_steps"], predict_batch_size=params["predict_batch_size"],
        iterator_train__shuffle=True,
        iterator_valid__batch_size=params["predict_batch_size"],
        classes=np.arange(n_classes),
        warm_start=True, train_split=None, verbose=0,
        device=resolve_device(device),
    )


def make_estimator(config, input_shape: tuple[int, ...], n_classes: int):
    """Return the estimator of ``config``'s pair, unfitted.

    Parameters
    ----------
    config : helpers.config.ProtocolConfig
    input_shape : tuple of int
        Shape of one sample (``(n_features,)`` or ``(channels, h, w)``).
    n_classes : int
    """
    if config.spec.model == "logreg":
        return make_logreg(config.model_params, config.seed)
    return make_cnn(config.model_params, tuple(input_shape), n_classes, config.device)
