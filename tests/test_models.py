"""Tests of helpers.models: fine-tuning logistic regression and the skorch CNN."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from helpers import models
from helpers.config import CNN_PARAMS, LOGREG_PARAMS, PAIRS, ProtocolConfig
from helpers.models import CNN, FineTunedLogisticRegression, FineTunedNet, make_cnn, make_estimator, resolve_device

# ----------------------------------------------------------------------------- logistic regression


@pytest.fixture(scope="module")
def labelled(digits):
    """A stratified labelled set of 162 digits and 5 further rows, as after one query."""
    idx, rest = train_test_split(np.arange(len(digits.y_train)), train_size=162, random_state=0,
                                 stratify=digits.y_train)
    grown = np.concatenate([idx, rest[:5]])
    return digits.X_train[idx], digits.y_train[idx], digits.X_train[grown], digits.y_train[grown]


def test_first_fit_pretrains_with_tolerance(labelled):
    X, y, _, _ = labelled
    model = FineTunedLogisticRegression(**LOGREG_PARAMS, random_state=0)
    assert model.fit(X, y) is model
    assert 1 <= model.fit_steps_ < LOGREG_PARAMS["max_iter"]  # stopped by tol, not by the budget
    assert model.model_.tol == LOGREG_PARAMS["tol"] and model.n_fits_ == 1
    assert model.classes_.tolist() == list(range(10))
    assert model.predict_proba(X).shape == (162, 10)
    assert model.predict(X).shape == (162,)


def test_second_fit_runs_the_finetune_budget_from_the_current_weights(labelled):
    X, y, X2, y2 = labelled
    model = FineTunedLogisticRegression(**LOGREG_PARAMS, random_state=0).fit(X, y)
    first_model, coef = model.model_, model.model_.coef_.copy()
    assert model.fit(X2, y2) is model
    assert model.model_ is first_model  # fine-tuned, not rebuilt
    assert model.fit_steps_ == LOGREG_PARAMS["finetune_max_iter"] == 3
    assert model.n_fits_ == 2
    assert not np.allclose(model.model_.coef_, coef)  # it really updated
    # Starting from the previous weights: it ends closer to them than a cold fit on the same data.
    cold = LogisticRegression(C=0.01, max_iter=LOGREG_PARAMS["finetune_max_iter"], tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold.fit(X2, y2)
    assert np.abs(model.model_.coef_ - coef).max() < np.abs(cold.coef_ - coef).max()


def test_finetune_budget_is_configurable(labelled):
    X, y, X2, y2 = labelled
    model = FineTunedLogisticRegression(**{**LOGREG_PARAMS, "finetune_max_iter": 3}).fit(X, y)
    assert model.fit(X2, y2).fit_steps_ == 3


def test_new_classes_force_a_cold_fit(labelled):
    X, y, X2, y2 = labelled
    keep = y != 9
    model = FineTunedLogisticRegression(**LOGREG_PARAMS).fit(X[keep], y[keep])
    first_model = model.model_
    model.fit(X2, y2)
    assert model.model_ is not first_model
    assert model.classes_.tolist() == list(range(10))
    assert model.model_.tol == LOGREG_PARAMS["tol"]


@pytest.mark.parametrize("mode", ["converge", "cold"])
def test_ablation_update_rules(labelled, mode):
    X, y, X2, y2 = labelled
    fixed = FineTunedLogisticRegression(C=0.01, max_iter=500, tol=1e-3).fit(X, y)
    model = FineTunedLogisticRegression(C=0.01, max_iter=500, tol=1e-3, finetune=mode).fit(X, y)
    before = model.model_.coef_.copy()
    model.fit(X2, y2)
    fixed.fit(X2, y2)
    if mode == "cold":
        # Re-trained from scratch: exactly scikit-learn's own fit on the grown set.
        reference = LogisticRegression(C=0.01, max_iter=500, tol=1e-3).fit(X2, y2)
        assert model.cold_fit_ and model.n_fits_ == 1
        np.testing.assert_allclose(model.model_.coef_, reference.coef_)
    else:
        # From the current weights to a tight tolerance: more iterations than the fixed
        # budget, and closer to the optimum than the fixed budget gets.
        assert not model.cold_fit_ and model.fit_steps_ > fixed.fit_steps_
        assert not np.allclose(model.model_.coef_, before)
        tight = LogisticRegression(C=0.01, max_iter=5000, tol=1e-10).fit(X2, y2).coef_
        assert np.abs(model.model_.coef_ - tight).max() < np.abs(fixed.model_.coef_ - tight).max()


def test_unknown_finetune_mode_is_rejected(labelled):
    from helpers.config import ConfigError

    X, y, _, _ = labelled
    with pytest.raises(ValueError, match="finetune must be one of"):
        FineTunedLogisticRegression(finetune="sometimes").fit(X, y)
    with pytest.raises(ConfigError, match="unknown finetune mode 'sometimes'"):
        ProtocolConfig(pair="digits_logreg", experiment="small", strategy="margin",
                       model_params={"finetune": "sometimes"})


def test_without_warm_start_every_fit_is_cold(labelled):
    X, y, X2, y2 = labelled
    model = FineTunedLogisticRegression(**LOGREG_PARAMS, warm_start=False).fit(X, y)
    first_model = model.model_
    model.fit(X2, y2)
    assert model.model_ is not first_model and model.model_.tol == LOGREG_PARAMS["tol"]


def test_sklearn_params_and_clone(labelled):
    X, y, _, _ = labelled
    params = {"C": 0.5, "max_iter": 50, "tol": 1e-4, "finetune_max_iter": 4, "finetune": "converge",
              "finetune_tol": 1e-5, "warm_start": True, "random_state": 3}
    model = FineTunedLogisticRegression(**params)
    assert model.get_params() == params
    assert not hasattr(model, "model_")  # the constructor only stores parameters
    model.fit(X, y)
    twin = clone(model)
    assert twin.get_params() == params
    assert not hasattr(twin, "model_") and not hasattr(twin, "fit_steps_")
    assert model.set_params(C=2.0) is model and model.C == 2.0


def test_plain_warm_start_logreg_does_not_move(digits):
    """The measured fact behind fixed-budget fine-tuning (models.py docstring).

    Plain ``LogisticRegression(warm_start=True, tol=1e-3)``, refitted after 5 rows are added
    to a large labelled set, stops after zero L-BFGS iterations and leaves the weights
    unchanged. Measured on digits (scikit-learn 1.9): with 1,100 labelled rows it runs 0
    iterations; with the 162 rows of the moderate digits experiment it still runs about 8,
    and with 862 (the large experiment) 1-2, so the effect needs a labelled set that is
    large relative to the query, as on MNIST (thousands of rows, queries of 5).
    """
    X, y = digits.X_train, digits.y_train
    plain = LogisticRegression(C=0.01, max_iter=500, tol=1e-3, warm_start=True).fit(X[:1100], y[:1100])
    assert plain.n_iter_.max() >= 1
    coef = plain.coef_.copy()
    plain.fit(X[:1105], y[:1105])
    assert plain.n_iter_.max() == 0
    assert np.array_equal(plain.coef_, coef)
    # The project's model, on the same data, does move.
    tuned = FineTunedLogisticRegression(**LOGREG_PARAMS).fit(X[:1100], y[:1100])
    coef = tuned.model_.coef_.copy()
    tuned.fit(X[:1105], y[:1105])
    assert tuned.fit_steps_ == LOGREG_PARAMS["finetune_max_iter"]
    assert not np.array_equal(tuned.model_.coef_, coef)


def test_make_estimator_logreg():
    config = ProtocolConfig(pair="digits_logreg", experiment="small", strategy="random", seed=9,
                            model_params={"finetune_max_iter": 4})
    est = make_estimator(config, (64,), 10)
    assert isinstance(est, FineTunedLogisticRegression)
    assert (est.C, est.max_iter, est.tol, est.finetune_max_iter, est.random_state) == (0.01, 500, 1e-3, 4, 9)


# ----------------------------------------------------------------------------------------- CNN


def test_cnn_forward_shapes():
    net = CNN(in_channels=3, image_size=32, n_classes=10).eval()
    assert net(torch.zeros(4, 3, 32, 32)).shape == (4, 10)
    small = CNN(in_channels=1, image_size=8, n_classes=10, l1_channels=8, l2_channels=16, l4_input=64,
                l5_input=32).eval()
    assert small(torch.zeros(5, 1, 8, 8)).shape == (5, 10)


def test_cnn_size_matches_the_documented_range():
    n_params = sum(p.numel() for p in CNN(**{k: CNN_PARAMS[k] for k in
                                            ("l1_channels", "l2_channels", "l4_input", "l5_input")}).parameters())
    assert 0.81e6 < n_params < 0.83e6  # "about 0.82 M parameters on 32x32 inputs"


SMALL_CNN = {**PAIRS["digits_cnn"].model_params, "pretrain_epochs": 3, "finetune_epochs": 2, "finetune_steps": None,
             "batch_size": 32}


@pytest.fixture(scope="module")
def images(digits):
    X = digits.X_train.reshape(-1, 1, 8, 8)
    return X[:120], digits.y_train[:120], X[:150], digits.y_train[:150]


def first_weight(net) -> torch.Tensor:
    return net.module_.features[0].weight.detach().clone()


def test_make_cnn_wraps_fine_tuned_net():
    net = make_cnn(SMALL_CNN, (1, 8, 8), 10, device="cpu")
    assert isinstance(net, FineTunedNet)
    assert net.max_epochs == 3 and net.finetune_epochs == 2 and net.warm_start and net.train_split is None
    assert net.get_params()["finetune_epochs"] == 2
    assert clone(net).finetune_epochs == 2
    with pytest.raises(ValueError, match="square"):
        make_cnn(SMALL_CNN, (1, 8, 6), 10, device="cpu")


def test_fine_tuned_net_pretrains_then_fine_tunes_without_reinit(images, monkeypatch):
    X, y, X2, y2 = images
    torch.manual_seed(0)
    net = make_cnn(SMALL_CNN, (1, 8, 8), 10, device="cpu")
    assert net.fit(X, y) is net
    assert net.fit_steps_ == 3 and len(net.history) == 3
    pretrained = first_weight(net)

    # What a fresh initialisation under the RNG state of the second fit would give.
    torch.manual_seed(1)
    fresh = copy.deepcopy(net).initialize()
    fresh_weight = first_weight(fresh)
    # What continuing explicitly from the current weights gives.
    torch.manual_seed(1)
    continued = copy.deepcopy(net)
    continued.partial_fit(X2, y2, epochs=2)

    calls = []
    original = FineTunedNet.initialize
    monkeypatch.setattr(FineTunedNet, "initialize", lambda self: calls.append(1) or original(self))
    torch.manual_seed(1)
    net.fit(X2, y2)
    assert calls == []  # never re-initialised
    assert net.fit_steps_ == 2 and len(net.history) == 5
    tuned = first_weight(net)
    assert not torch.equal(tuned, pretrained)  # it trained
    assert torch.allclose(tuned, first_weight(continued), atol=1e-6)  # from the previous weights
    assert not torch.allclose(tuned, fresh_weight, atol=1e-3)
    assert (tuned - pretrained).abs().max() < (tuned - fresh_weight).abs().max()


class _Interrupt(KeyboardInterrupt):
    """What the grid's SIGTERM handler raises (grid.GridInterrupted is a KeyboardInterrupt too)."""


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, _Interrupt])
def test_an_interrupted_fit_propagates_instead_of_returning_a_half_trained_net(images, interrupt):
    """skorch's own partial_fit swallows KeyboardInterrupt; a reference fit SIGTERMed after one
    epoch was stored as finished. The interrupt must reach the caller, the very same object."""
    from skorch.callbacks import Callback

    X, y, _, _ = images
    seen = []

    class StopAfterFirstEpoch(Callback):
        def on_epoch_end(self, net, **kwargs):
            if armed:
                raise raised

        def on_train_end(self, net, **kwargs):
            seen.append("train_end")  # skorch's clean-up still runs

    raised, armed = interrupt("stop"), [True]
    torch.manual_seed(0)
    net = make_cnn(SMALL_CNN, (1, 8, 8), 10, device="cpu")
    net.set_params(callbacks=[("stop", StopAfterFirstEpoch())])
    with pytest.raises(interrupt) as info:
        net.fit(X, y)
    assert info.value is raised and seen == ["train_end"] and len(net.history) == 1
    with pytest.raises(interrupt):
        net.partial_fit(X, y, epochs=2)
    armed.clear()
    assert net.partial_fit(X, y, epochs=1) is net  # without an interrupt nothing is left over
    assert len(net.history) == 3


def test_fine_tuned_net_predicts(images):
    X, y, _, _ = images
    torch.manual_seed(0)
    net = make_cnn(SMALL_CNN, (1, 8, 8), 10, device="cpu").fit(X, y)
    proba = net.predict_proba(X)
    assert proba.shape == (120, 10) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert set(np.unique(net.predict(X))) <= set(range(10))


def test_resolve_device():
    if torch.cuda.is_available():
        assert resolve_device("auto") == "cuda"
        assert resolve_device("cuda") == "cuda"
    else:
        assert resolve_device("auto") == "cpu"
        with pytest.raises(RuntimeError, match="no GPU"):
            resolve_device("cuda")
    assert resolve_device("cpu") == "cpu"


def test_make_estimator_cnn():
    config = ProtocolConfig(pair="digits_cnn", experiment="small", strategy="random", device="cpu")
    net = make_estimator(config, (1, 8, 8), 10)
    assert isinstance(net, FineTunedNet)
    assert net.device == "cpu" and net.max_epochs == PAIRS["digits_cnn"].model_params["pretrain_epochs"]
    assert models.resolve_device is resolve_device


def test_sliced_predict_proba_matches_skorchs_own(images):
    from skorch import NeuralNetClassifier

    X, y, X2, _ = images
    torch.manual_seed(0)
    net = make_cnn({**SMALL_CNN, "predict_batch_size": 32}, (1, 8, 8), 10, device="cpu").fit(X, y)
    ours = net.predict_proba(X2)
    skorchs = NeuralNetClassifier.predict_proba(net, X2)  # skorch's dataset and data loader
    assert ours.shape == (len(X2), 10)
    np.testing.assert_allclose(ours, skorchs, rtol=1e-5, atol=1e-6)
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()  # nothing leaked out
    assert net.predict(X2).tolist() == ours.argmax(axis=1).tolist()


def test_fixed_step_fine_tuning_runs_exactly_its_steps(images, monkeypatch):
    X, y, X2, y2 = images
    torch.manual_seed(0)
    net = make_cnn({**SMALL_CNN, "finetune_steps": 7, "batch_size": 16}, (1, 8, 8), 10, device="cpu").fit(X, y)
    before, epochs = first_weight(net), len(net.history)
    batches = []
    original = FineTunedNet.train_step
    monkeypatch.setattr(FineTunedNet, "train_step",
                        lambda self, batch, **kw: batches.append(batch[0].shape[0]) or original(self, batch, **kw))
    torch.manual_seed(1)
    net.fit(X2, y2)
    assert batches == [16] * 7 and net.fit_steps_ == 7 and not net.cold_fit_
    assert len(net.history) == epochs  # no epoch ran
    assert not torch.equal(first_weight(net), before)
    # Seeded: the same steps from the same state give the same weights.
    torch.manual_seed(0)
    twin = make_cnn({**SMALL_CNN, "finetune_steps": 7, "batch_size": 16}, (1, 8, 8), 10, device="cpu").fit(X, y)
    torch.manual_seed(1)
    twin.fit(X2, y2)
    assert torch.equal(first_weight(twin), first_weight(net))


@pytest.mark.parametrize("kernel_size, padding", [(3, 0), (5, 2), (3, 1)])
def test_cnn_kernel_and_padding(kernel_size, padding):
    for size in (8, 32):
        module = CNN(in_channels=3, image_size=size, l1_channels=4, l2_channels=8, l4_input=16, l5_input=8,
                     kernel_size=kernel_size, padding=padding)
        assert module(torch.zeros(2, 3, size, size)).shape == (2, 10)
    with pytest.raises(ValueError, match="too small"):
        CNN(image_size=4, kernel_size=5, padding=0)


def test_channels_last_computes_the_same_function():
    torch.manual_seed(0)
    plain = CNN(in_channels=3, image_size=32, l1_channels=8, l2_channels=16, l4_input=32, l5_input=16).eval()
    fast = CNN(in_channels=3, image_size=32, l1_channels=8, l2_channels=16, l4_input=32, l5_input=16,
               channels_last=True).eval()
    fast.load_state_dict(plain.state_dict())
    X = torch.randn(4, 3, 32, 32)
    with torch.inference_mode():
        torch.testing.assert_close(fast(X), plain(X), rtol=1e-4, atol=1e-5)
