"""Tests of helpers.config: defaults, validation messages, replace and serialisation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from helpers import config as cfgmod
from helpers.config import EXPERIMENTS, PAIRS, ConfigError, ProtocolConfig
from helpers.strategies import STRATEGIES


def make(**changes) -> ProtocolConfig:
    fields = {"pair": "digits_logreg", "experiment": "small", "strategy": "random", **changes}
    return ProtocolConfig(**fields)


@pytest.mark.parametrize("pair", list(PAIRS))
def test_defaults_come_from_the_pair(pair):
    config = ProtocolConfig(pair=pair, experiment="small", strategy="margin")
    spec = PAIRS[pair]
    assert config.spec is spec
    assert config.query_size == spec.query_size
    assert config.n_iterations == spec.n_iterations
    assert dict(config.model_params) == dict(spec.model_params)
    assert config.seed == 42 and config.stream_threshold == 0.5 and config.device == "auto"


def test_study_protocol_values():
    assert PAIRS["mnist_logreg"].query_size == 5 and PAIRS["mnist_logreg"].n_iterations == 250
    assert PAIRS["cifar10_cnn"].query_size == 250 and PAIRS["cifar10_cnn"].n_iterations == 50
    assert EXPERIMENTS == {"small": 1, "moderate": 0.15, "large": 0.80}
    assert cfgmod.VALIDATION_FRACTION == 0.2
    assert {p.name for p in PAIRS.values() if p.smoke} == {"digits_logreg", "digits_cnn"}


def test_overrides_are_kept():
    config = make(query_size=7, n_iterations=3, stream_threshold=0.25, model_params={"C": 1.0}, seed=np.int64(3))
    assert (config.query_size, config.n_iterations, config.stream_threshold) == (7, 3, 0.25)
    assert config.model_params["C"] == 1.0
    assert config.model_params["max_iter"] == PAIRS["digits_logreg"].model_params["max_iter"]
    assert type(config.seed) is int and config.seed == 3
    # The pair's defaults are not modified by an override.
    assert PAIRS["digits_logreg"].model_params["C"] == 0.01


def test_initial_rule():
    assert make(experiment="small").initial_rule() == 1
    assert make(experiment="large").initial_rule() == 0.8
    assert make(experiment="large", initial_size=30).initial_rule() == 30
    assert make(experiment="small", initial_size=0.5).initial_rule() == 0.5


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"pair": "mnist"}, r"unknown pair 'mnist'; choose one of: mnist_logreg, cifar10_cnn"),
        ({"experiment": "huge"}, r"unknown experiment 'huge'; choose one of: small, moderate, large"),
        ({"strategy": "qbc"}, r"unknown strategy 'qbc'; choose one of: random, least_confident"),
        ({"device": "tpu"}, r"unknown device 'tpu'; choose one of: auto, cpu, cuda"),
        ({"seed": -1}, r"seed must be an integer in \[0, 2\*\*32\), got -1"),
        ({"seed": 1.5}, r"seed must be an integer in"),
        ({"seed": True}, r"seed must be an integer in"),
        ({"seed": 2**32}, r"seed must be an integer in \[0, 2\*\*32\), got 4294967296"),
        ({"n_threads": 0}, r"n_threads must be a positive integer, got 0"),
        ({"evaluation": "train"}, r"unknown evaluation 'train'; choose one of: test, validation"),
        ({"results_dir": ""}, r"results_dir must be a path or None, got an empty string"),
        ({"pool_subset": 0}, r"pool_subset must be a positive integer, got 0"),
        ({"pool_subset": 4}, r"pool_subset \(4\) must hold at least query_size \(5\) instances"),
        ({"train_eval_size": 2.5}, r"train_eval_size must be a positive integer"),
        ({"data_root": "  "}, r"data_root must be a path or None, got an empty string"),
        ({"n_threads": 1.5}, r"n_threads must be a positive integer"),
        ({"query_size": 0}, r"query_size must be a positive integer, got 0"),
        ({"query_size": -5}, r"query_size must be a positive integer, got -5"),
        ({"query_size": 2.5}, r"query_size must be a positive integer, got 2.5"),
        ({"query_size": "5"}, r"query_size must be a positive integer, got '5'"),
        ({"query_size": True}, r"query_size must be a positive integer"),
        ({"n_iterations": 0}, r"n_iterations must be a positive integer, got 0"),
        ({"stream_threshold": -0.1}, r"stream_threshold must lie in \[0, 1\], got -0.1"),
        ({"stream_threshold": 1.5}, r"stream_threshold must lie in \[0, 1\], got 1.5"),
        ({"stream_threshold": math.nan}, r"stream_threshold must lie in \[0, 1\], got nan"),
        ({"stream_threshold": "0.5"}, r"stream_threshold must lie in \[0, 1\]"),
        ({"initial_size": 0}, r"initial_size must be a positive integer, got 0"),
        ({"initial_size": 1}, r"initial_size must be at least 2 \(the model needs two classes to train\), got 1"),
        ({"initial_size": -3}, r"initial_size must be a positive integer, got -3"),
        ({"initial_size": 1.0}, r"a fractional initial_size must lie in \(0, 1\), got 1.0"),
        ({"initial_size": 0.0}, r"a fractional initial_size must lie in \(0, 1\)"),
        ({"initial_size": "10"}, r"initial_size must be an int or a fraction, got '10'"),
        ({"initial_size": True}, r"initial_size must be an int or a fraction"),
        ({"model_params": {"lr": 0.1}}, r"unknown model parameter\(s\) \['lr'\] for pair 'digits_logreg'; known: "),
    ],
)
def test_bad_input_raises_config_error(changes, message):
    with pytest.raises(ConfigError, match=message):
        make(**changes)


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_threshold_bounds_are_valid():
    assert make(stream_threshold=0).stream_threshold == 0.0
    assert make(stream_threshold=1).stream_threshold == 1.0
    assert isinstance(make(stream_threshold=1).stream_threshold, float)


def test_unknown_strategy_message_lists_every_strategy():
    with pytest.raises(ConfigError) as info:
        make(strategy="nope")
    for name in STRATEGIES:
        assert name in str(info.value)


def test_replace_revalidates():
    config = make()
    assert config.replace(seed=7).seed == 7
    with pytest.raises(ConfigError, match="query_size"):
        config.replace(query_size=0)
    with pytest.raises(ConfigError, match="stream_threshold"):
        config.replace(stream_threshold=2.0)
    with pytest.raises(ConfigError, match="unknown strategy"):
        config.replace(strategy="bogus")


def test_replace_pair_takes_the_new_pairs_defaults():
    config = make(query_size=3)
    cnn = config.replace(pair="digits_cnn")
    assert cnn.query_size == PAIRS["digits_cnn"].query_size
    assert cnn.model_params == dict(PAIRS["digits_cnn"].model_params)
    # Explicit changes alongside the pair win.
    assert config.replace(pair="digits_cnn", n_iterations=2).n_iterations == 2


def test_config_is_frozen():
    config = make()
    with pytest.raises(AttributeError):
        config.seed = 1  # type: ignore[misc]


def test_to_dict_round_trips_through_json(tmp_path):
    config = make(
        experiment="moderate", strategy="stream_uncertainty", seed=5, stream_threshold=0.3,
        initial_size=0.1, model_params={"C": 0.5}, results_dir=tmp_path, data_root=Path("/data"),
    )
    as_dict = config.to_dict()
    text = json.dumps(as_dict)
    back = json.loads(text)
    assert back == as_dict
    assert ProtocolConfig(**back) == config
    assert back["results_dir"] == str(tmp_path) and back["data_root"] == "/data"
    assert set(back) == {
        "pair", "experiment", "strategy", "seed", "query_size", "n_iterations", "stream_threshold",
        "initial_size", "model_params", "data_root", "results_dir", "device", "evaluation", "pool_subset",
        "train_eval_size", "n_threads",
    }


def test_locations(tmp_path, isolated_dirs):
    assert make().results_root() == isolated_dirs["results"].resolve()
    assert make(results_dir=str(tmp_path / "r")).results_root() == (tmp_path / "r").resolve()
    assert make(data_root=str(tmp_path / "d")).data_path() == (tmp_path / "d").resolve()


def test_pool_subset_and_train_eval_size_default_to_the_pairs_values():
    cnn = ProtocolConfig(pair="cifar10_cnn", experiment="small", strategy="margin")
    assert (cnn.pool_subset, cnn.train_eval_size) == (PAIRS["cifar10_cnn"].pool_subset,
                                                      PAIRS["cifar10_cnn"].train_eval_size)
    assert cnn.pool_subset is not None and cnn.train_eval_size is not None
    logreg = ProtocolConfig(pair="mnist_logreg", experiment="small", strategy="margin")
    assert (logreg.pool_subset, logreg.train_eval_size) == (None, None)
    whole = ProtocolConfig(pair="cifar10_cnn", experiment="small", strategy="margin", pool_subset=None,
                           train_eval_size=None)
    assert (whole.pool_subset, whole.train_eval_size) == (None, None)  # None asks for everything
    # Another pair brings its own defaults; an explicit value survives other changes.
    assert cnn.replace(pair="mnist_logreg").pool_subset is None
    assert whole.replace(seed=7).pool_subset is None
    assert cnn.to_dict()["pool_subset"] == PAIRS["cifar10_cnn"].pool_subset  # recorded resolved
    with pytest.raises(ConfigError, match="pool_subset must be a positive integer"):
        ProtocolConfig(pair="cifar10_cnn", experiment="small", strategy="margin", pool_subset="all")
