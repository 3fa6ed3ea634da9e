"""Tests of helpers.paths: the project's directories and files written with the umask's mode."""

from __future__ import annotations

import os
import stat
import tempfile

import pytest

from helpers import paths


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_current_umask_reads_without_changing_it(mask):
    previous = os.umask(mask)
    try:
        assert paths.current_umask() == mask
        assert paths.current_umask() == mask  # reading it left it as it was
    finally:
        os.umask(previous)


def test_replace_keeping_umask_gives_a_temporary_file_the_mode_of_a_new_file(tmp_path, umask_022):
    fd, tmp = tempfile.mkstemp(dir=tmp_path)
    os.close(fd)
    assert mode(tmp) == 0o600  # what mkstemp gives
    target = tmp_path / "target.txt"
    paths.replace_keeping_umask(tmp, target)
    assert not os.path.exists(tmp)
    assert mode(target) == 0o644
