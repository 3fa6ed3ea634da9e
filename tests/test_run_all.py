"""./run_all.sh from the outside: options, checks before the first notebook, failures, interrupts.

Nothing here needs the network or the real datasets: a download goes through a proxy
address where nothing listens (so it is refused at once, as on a machine without
internet), and the data that must be present is written here in MNIST's format.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import torch

from helpers.job import PROFILES
from data_files import mnist_arrays, write_mnist

REPO = Path(__file__).resolve().parents[1]


def _refused_proxy() -> dict[str, str]:
    """Proxy settings pointing at a local port where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proxy = f"http://127.0.0.1:{port}"
    return {"http_proxy": proxy, "https_proxy": proxy, "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy,
            "no_proxy": "", "NO_PROXY": ""}


def run_all(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(REPO / "run_all.sh"), *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, **_refused_proxy(), **(env or {})}, timeout=timeout)


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*")) if root.exists() else []


@pytest.mark.parametrize("args", [
    ["--jobs"], ["--profile", "smoke", "--jobs"], ["--jobs", "--only", "mnist_logreg"], ["--out"], ["--out", ""],
    ["--out="], ["--data-root", ""], ["--only", ""], ["--device"], ["--jobs=1.5"], ["--jobs", "-1"],
    ["--jobs", "0"], ["--check=yes"], ["--profile", "fast"], ["--device", "tpu"], ["--bogus"],
    ["--scheduler"], ["--scheduler", ""], ["--scheduler", "tcp://a b:1"], ["--dask-local", "0"], ["--dask-local=x"],
    ["--dask-local", "--jobs", "2"],
])
def test_bad_options_fail_at_once_with_one_line(args):
    proc = run_all(*args, timeout=60)  # a loop over a missing value would run into the timeout
    assert proc.returncode == 2
    assert proc.stderr.startswith("run_all.sh:") and proc.stderr.count("\n") == 1
    assert proc.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["--jobs", "2", "--dask-local", "2"], "--jobs 2 and --dask-local 2 exclude each other"),
    (["--scheduler=tcp://a:1", "--jobs=3"], "--jobs 3 and --scheduler tcp://a:1 exclude each other"),
    (["--dask-local", "2", "--scheduler", "tcp://a:1"], "--scheduler tcp://a:1 and --dask-local 2 exclude each other"),
])
def test_executor_options_exclude_each_other(args, message):
    proc = run_all("--profile", "smoke", *args, "--check", timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"run_all.sh: {message}") and proc.stderr.count("\n") == 1


def test_unreachable_scheduler_stops_before_any_notebook(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    out = tmp_path / "out"
    proc = run_all("--profile", "smoke", "--only", "digits_logreg", "--jobs", "1", "--scheduler", address,
                   "--out", out)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"run_all.sh: --scheduler {address}: cannot reach the Dask scheduler")
    assert proc.stderr.count("\n") == 1
    assert "==>" not in proc.stdout and not out.exists()


@pytest.mark.parametrize("service", ["silent_service", "ssh_banner_service"])
def test_wrong_service_at_the_scheduler_address_stops_the_check_in_bounded_time(service, request, tmp_path):
    address = request.getfixturevalue(service)
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = run_all("--profile", "smoke", "--only", "digits_logreg", "--scheduler", address, "--out", out, "--check",
                   timeout=90)
    assert time.monotonic() - t0 < 60  # the check is bounded to about 10 s, plus the start of Python
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"run_all.sh: --scheduler {address}: a service answered at {address} but it is "
                                  f"not a Dask scheduler")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr and not out.exists()


def test_check_says_where_the_runs_execute(tmp_path):
    proc = run_all("--profile", "smoke", "--only", "digits_logreg", "--dask-local", "2", "--out", tmp_path / "out",
                   "--check")
    assert proc.returncode == 0, proc.stderr
    assert "runs execute on a local Dask cluster of 2 single-thread worker process(es)" in proc.stdout
    assert "with --dask-local 2" in proc.stdout and not (tmp_path / "out").exists()


def test_out_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    proc = run_all("--profile", "smoke", "--out", tmp_path / "f")
    assert proc.returncode == 2 and "is a file" in proc.stderr


def test_check_finds_a_plain_file_where_a_run_folder_should_be(tmp_path):
    from helpers.job import plan_job

    out = tmp_path / "out"
    results = plan_job("smoke", only="digits_logreg", out=str(out)).folders["results"]
    blocker = results / "digits_logreg" / "moderate" / "margin"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    proc = run_all("--profile", "smoke", "--only", "digits_logreg", "--out", out, "--check", timeout=90)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("run_all.sh: the digits_logreg run folder") and proc.stderr.count("\n") == 1
    assert f"{blocker} is a file, not a folder" in proc.stderr


@pytest.mark.parametrize("how", ["AL_DATA_DIR, download refused", "--data-root, --no-download"])
def test_no_data_and_no_network_stops_before_any_notebook(tmp_path, how):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    if how.startswith("AL_DATA_DIR"):
        proc = run_all("--out", out, env={"AL_DATA_DIR": str(data)})
        origin, fetch = "from AL_DATA_DIR", "download through torchvision failed"
    else:
        proc = run_all("--data-root", data, "--out", out, "--no-download")
        origin, fetch = "given by --data-root", "Downloading is off (--no-download)"
    assert proc.returncode == 2, proc.stderr
    message = proc.stderr.strip()
    assert "\n" not in message and message.startswith("run_all.sh: pair mnist_logreg needs MNIST")
    for part in (str(data / "MNIST" / "raw"), "train-images-idx3-ubyte", origin, fetch, "--data-root DIR"):
        assert part in message
    assert "==>" not in proc.stdout  # no notebook ran
    assert not out.exists() and _files(data) == []  # nothing written, not even an empty folder


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_stops_before_any_notebook(tmp_path):
    proc = run_all("--profile", "smoke", "--device", "cuda", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "--device cuda asks for a GPU" in proc.stderr
    assert "==>" not in proc.stdout and not (tmp_path / "out").exists()


def test_check_with_quotes_in_the_paths(tmp_path):
    data = tmp_path / "data 'quoted' \"twice\""
    out = tmp_path / "it's out"
    write_mnist(data, arrays=mnist_arrays(n_train=600, n_test=50))
    proc = run_all("--only", "mnist_logreg", "--data-root", data, "--out", out, "--check", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert "data mnist-idx: torchvision MNIST" in proc.stdout or "data mnist-idx: MNIST gzip IDX files" in proc.stdout
    assert str(data) in proc.stdout and str(out / "results") in proc.stdout
    runs = len(PROFILES["paper"].seeds["mnist_logreg"]) * 5 * 3  # seeds x strategies x experiments
    assert f"{runs} runs: 0 already finished, {runs} to run" in proc.stdout
    assert re.search(r"expected wall time: about (\d+ h )?\d+ min", proc.stdout)
    assert not out.exists()


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(text.split(" ", 1)[0]))
    found, queue = set(), [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.add(child)
            queue.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] != "Z"


@pytest.mark.slow
def test_failing_notebook_prints_its_reason_and_leaves_the_figures(tmp_path):
    out = tmp_path / "it's out"
    for experiment in ("small", "moderate", "large"):
        for seed in PROFILES["smoke"].seeds["digits_logreg"]:
            # A folder where a run's CSV belongs: the checks pass (they look at folders), the run fails.
            blocker = out / "digits_logreg" / experiment / "random" / f"seed{seed}.csv"
            blocker.mkdir(parents=True)
            (blocker / "keep").write_text("not empty, so no clean-up removes it")
    proc = run_all("--profile", "smoke", "--only", "digits_logreg", "--out", out, timeout=600)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    reason = re.search(r"FAILED: digits_logreg_small: (.+)", proc.stderr)
    assert reason and re.match(r"[\w.]+(Error|Exception): ", reason.group(1)), proc.stderr
    assert "digits_logreg/small/random" in reason.group(1)
    assert f"log: {out / 'notebooks' / 'logs' / 'digits_logreg_small.log'}" in proc.stderr
    assert "figures: not run" in proc.stderr
    # The failed notebook is kept beside its log, never in the place of a finished one.
    assert (out / "notebooks" / "logs" / "digits_logreg_small.ipynb").exists()
    assert not (out / "notebooks" / "digits_logreg_small.ipynb").exists()
    assert not (out / "notebooks" / ".partial").exists()
    assert not (out / "figures").exists() and not (out / "notebooks" / "figures.ipynb").exists()
    assert "failed: 3" in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_stops_the_whole_job_and_keeps_finished_runs(tmp_path, sig):
    out = tmp_path / "out"
    proc = subprocess.Popen(["bash", str(REPO / "run_all.sh"), "--profile", "smoke", "--only", "digits_cnn",
                             "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        finished = []
        while not finished and time.monotonic() < deadline and proc.poll() is None:
            finished = [p for p in out.glob("digits_cnn/*/*/seed*.json") if '"complete": true' in p.read_text()]
            time.sleep(0.2)
        assert finished, "no run finished in time"
        tree = _descendants(proc.pid)
        assert any("ipykernel" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")
                   for p in tree if Path(f"/proc/{p}/cmdline").exists()), "no kernel was running"
        t0 = time.monotonic()
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # what Ctrl-C in a terminal does: the whole foreground group
        else:
            proc.send_signal(sig)  # a SIGTERM to the script alone
        stdout, stderr = proc.communicate(timeout=60)
        seconds = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + sig, stderr
    name = signal.Signals(sig).name
    assert f"interrupted by {name}" in stderr and "finished runs are kept" in stderr
    still = [p for p in tree if _running(p)]
    assert not still, f"processes of the job still run {seconds:.1f} s after {name}: {still}"
    for path in finished:
        assert json.loads(path.read_text())["complete"] is True
    assert not (out / "figures").exists() and not (out / "generated").exists()
    assert not (out / "notebooks" / "figures.ipynb").exists()
    assert "==> figures" not in stdout
    logs = sorted((out / "notebooks" / "logs").glob("*.log"), key=lambda p: p.stat().st_mtime)
    assert logs[-1].read_text().rstrip().endswith(f"interrupted by {name}")


@pytest.mark.slow
def test_interrupted_rerun_keeps_the_finished_notebook_and_its_html(tmp_path):
    out = tmp_path / "out"
    notebooks = out / "notebooks"
    notebooks.mkdir(parents=True)
    finished = {notebooks / "digits_logreg_small.ipynb": b'{"cells": [], "note": "finished before"}\n',
                notebooks / "digits_logreg_small.html": b"<html>finished before</html>\n"}
    for path, content in finished.items():
        path.write_bytes(content)
    log = notebooks / "logs" / "digits_logreg_small.log"
    proc = subprocess.Popen(["bash", str(REPO / "run_all.sh"), "--profile", "smoke", "--only", "digits_logreg",
                             "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and "Executing" in log.read_text(errors="replace"):
                break
            time.sleep(0.2)
        assert proc.poll() is None, "run_all.sh ended before the notebook executed"
        time.sleep(2)  # papermill has written its output notebook by now (it writes at its start)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 143, stderr
    for path, content in finished.items():
        assert path.read_bytes() == content, f"{path.name} was replaced by an interrupted rerun"
    assert not (notebooks / ".partial").exists()


def test_help_names_every_option_the_script_accepts():
    script = (REPO / "run_all.sh").read_text()
    accepted = set()
    for pattern in re.findall(r"^\s*(--[\w|-]+(?:\|-h\|--help)?)\)", script, re.M):
        accepted |= {o for o in pattern.split("|") if o.startswith("--")}
    assert {"--download", "--no-download", "--check", "--scheduler"} <= accepted
    proc = run_all("--help", timeout=30)
    assert proc.returncode == 0
    missing = sorted(o for o in accepted if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", proc.stdout))
    assert missing == [], f"options missing from --help: {missing}"


def test_readme_names_files_that_exist_and_paths_users_have():
    readme = (REPO / "README.md").read_text()
    named = set(re.findall(r"`((?:src/)?helpers/[\w/]+\.py)`", readme))
    assert named, "the README names no module"
    assert sorted(p for p in named if not (REPO / p).is_file()) == []
    assert "--data-root ../shared/data" not in readme
