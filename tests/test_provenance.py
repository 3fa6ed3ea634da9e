"""Tests of helpers.provenance: pinned kernels, the machine record, code identity."""

from __future__ import annotations

import os
import subprocess
import sys

from helpers import provenance


def test_pinned_environment_adds_the_pins_and_keeps_user_values():
    env = provenance.pinned_environment({"PATH": "/bin"})
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and env["PATH"] == "/bin"
    assert provenance.pinned_environment({"OPENBLAS_CORETYPE": "SkylakeX"})["OPENBLAS_CORETYPE"] == "SkylakeX"
    assert provenance.pinned_environment({"OPENBLAS_CORETYPE": ""})["OPENBLAS_CORETYPE"] == "Haswell"
    assert provenance.missing_pins({}) == ["OPENBLAS_CORETYPE"]
    assert provenance.missing_pins({"OPENBLAS_CORETYPE": "Zen"}) == []


def test_the_test_session_runs_the_pinned_kernel():
    # make test exports OPENBLAS_CORETYPE; OpenBLAS then reports that kernel.
    if os.environ.get("OPENBLAS_CORETYPE") != "Haswell":
        return
    kernels = {b["library"]: b["architecture"] for b in provenance.blas_kernels()}
    assert kernels.get("openblas") == "Haswell"


def test_reexec_pinned_restarts_a_command_with_the_pins(tmp_path):
    script = ("import os, sys; from helpers import provenance; "
              "provenance.reexec_pinned('helpers.provenance_probe', sys.argv[1:])")
    probe = tmp_path / "helpers_probe"
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "AL_NO_PIN_REEXEC")}
    # The restarted process runs `python -m helpers.provenance_probe`: provide it on the path.
    probe.mkdir()
    (probe / "helpers_probe_main.py").write_text("")
    code = subprocess.run(
        [sys.executable, "-c", script.replace("helpers.provenance_probe", "helpers_probe_main") + "; print('not restarted')"],
        env={**env, "PYTHONPATH": os.pathsep.join([str(probe), env.get("PYTHONPATH", "")])},
        capture_output=True, text=True, timeout=60,
    )
    assert code.returncode == 0, code.stderr
    assert "not restarted" not in code.stdout  # the process was replaced by the module's run


def test_reexec_pinned_does_nothing_when_pinned(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setattr(os, "execve", lambda *a: (_ for _ in ()).throw(AssertionError("restarted")))
    provenance.reexec_pinned("helpers.grid", [])


def test_kernel_record_and_signature():
    record = provenance.kernel_record()
    assert set(record) == {"cpu", "machine", "blas", "torch_cpu_capability", "settings"}
    assert record["cpu"] and isinstance(record["blas"], list)
    assert set(record["settings"]) == set(provenance.KERNEL_SETTINGS)
    same = dict(record, cpu="another CPU with the same kernels")
    assert provenance.kernel_signature(same) == provenance.kernel_signature(record)
    other = dict(record, blas=[{"library": "openblas", "architecture": "SkylakeX"}])
    haswell = dict(record, blas=[{"library": "openblas", "architecture": "Haswell"}])
    assert provenance.kernel_signature(other) != provenance.kernel_signature(haswell)


def test_code_digest_follows_the_code_only(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "notes.txt").write_text("not code")
    first = provenance.code_digest(tmp_path)
    (tmp_path / "notes.txt").write_text("changed, still not code")
    assert provenance.code_digest(tmp_path) == first
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert provenance.code_digest(tmp_path) != first
    assert len(provenance.code_digest()) == 64


def test_run_provenance_has_no_absolute_path():
    record = provenance.run_provenance()
    assert {"code_digest", "git"} <= set(record)
    text = repr(record)
    assert str(provenance.CODE_DIR) not in text and "site-packages" not in text
