"""`make lab`: JupyterLab from .venv, the paired notebooks opening as notebooks, a kernel that finds helpers.

The test starts the real target on a free port of 127.0.0.1 with a token of its own, talks
to the server through its REST API and a kernel's websocket, and shuts it down. Jupyter's
per-user folders point into a temporary directory, so nothing of the user's is read or
written. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import websocket

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 120
REPLY_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """Run `make lab`; yield (base URL, token); shut the server down."""
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path / "jupyter"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_PORT={port}",
         f"LAB_ARGS=--no-browser --IdentityProvider.token={token} --ServerApp.port_retries=0"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert proc.poll() is None, f"make lab exited:\n{(tmp_path / 'lab.log').read_text()[-3000:]}"
            try:
                _get(base, token, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "JupyterLab did not answer in time"
                time.sleep(0.5)
        yield base, token
    finally:
        try:
            _request(base, token, "/api/shutdown", method="POST")
            proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _request(base: str, token: str, path: str, *, method: str = "GET", body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(f"{base}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=REPLY_TIMEOUT_S) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


def _get(base: str, token: str, path: str):
    return _request(base, token, path)


def _tags(cells) -> list[list[str]]:
    return [cell.get("metadata", {}).get("tags", []) for cell in cells]


def _execute(base: str, token: str, kernel_id: str, code: str) -> str:
    """Run ``code`` in the kernel over its websocket; return what it printed."""
    url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels?token={token}"
    ws = websocket.create_connection(url, timeout=REPLY_TIMEOUT_S)
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        printed, deadline = [], time.monotonic() + REPLY_TIMEOUT_S
        while time.monotonic() < deadline:
            message = json.loads(ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                raise AssertionError(f"the cell failed: {content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(printed)
        raise AssertionError("no reply from the kernel in time")
    finally:
        ws.close()


def test_make_lab_serves_the_paired_notebooks_and_a_kernel_with_helpers(lab):
    base, token = lab
    listing = _get(base, token, "/api/contents/notebooks")
    names = {item["name"]: item["type"] for item in listing["content"]}
    for stem in ("experiment", "figures"):
        assert names.get(f"{stem}.ipynb") == "notebook" and f"{stem}.py" in names

    ipynb = _get(base, token, "/api/contents/notebooks/experiment.ipynb")
    assert ipynb["type"] == "notebook" and _tags(ipynb["content"]["cells"]).count(["parameters"]) == 1

    paired = _get(base, token, "/api/contents/notebooks/figures.py?type=notebook")
    assert paired["type"] == "notebook"  # jupytext opens the percent script as a notebook
    cells = paired["content"]["cells"]
    assert _tags(cells).count(["parameters"]) == 1
    assert any("check_parameters(\"figures\", globals())" in cell["source"] for cell in cells)

    kernel = _request(base, token, "/api/kernels", method="POST", body={"name": "python3"})
    printed = _execute(base, token, kernel["id"], "import sys, helpers\nprint(helpers.__name__, sys.prefix)")
    name, prefix = printed.split()
    assert name == "helpers" and Path(prefix).resolve() == (REPO / ".venv").resolve()
    _request(base, token, f"/api/kernels/{kernel['id']}", method="DELETE")
