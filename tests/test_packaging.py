"""The wheel is the product: built from the sources, installed in a fresh venv outside the checkout, it answers,
serves the widget and loads the LLM prompts without a single file from the repository.

The fresh venv gets no downloads: the wheel is installed with --no-deps --no-index, and the dependencies come
from the current venv's site-packages through a .pth line (a plain path, so the editable install of the checkout
is not activated there). Building the wheel fetches setuptools from the package registry, as any build does.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["api", "bot", "config", "corpus", "library", "retrieval", "prompts", "pyproject.toml", "README.md"]
QUESTION = "Ở Hà Tĩnh, cơ quan nào chủ trì cuộc thi viết sáng kiến về cải cách hành chính?"


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, environment, working directory) of the wheel installed in a fresh venv outside the checkout."""
    root = tmp_path_factory.mktemp("packaging")
    src = root / "src"  # a copy, so the build leaves no build/ or *.egg-info in the checkout
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("CCHC_")}
    dist = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)], root, env, timeout=600)
    wheels = list(dist.glob("cchc_assistant-*.whl"))
    assert len(wheels) == 1, wheels

    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root, env)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
          str(wheels[0])], root, env)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     root, env).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_cchc_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")

    work = root / "elsewhere"
    work.mkdir()
    env |= {"CCHC_EMBEDDER": "hash", "CCHC_DATA_DIR": str(root / "data"), "PATH": f"{venv / 'bin'}:{env['PATH']}"}
    return python, env, work, venv


def test_the_installed_code_comes_from_the_wheel_not_the_checkout(installed):
    python, env, work, venv = installed
    out = _run([str(python), "-c", "import api, bot, config, corpus, library, prompts, retrieval; "
                "print('\\n'.join(m.__file__ for m in (api, bot, config, corpus, library, prompts, retrieval)))"],
               work, env).stdout
    files = out.split()
    assert len(files) == 7
    assert all(Path(f).is_relative_to(venv) for f in files), files


def test_installed_cchc_ask_answers_from_the_bundled_plans(installed):
    python, env, work, venv = installed
    proc = _run([str(venv / "bin" / "cchc"), "ask", QUESTION, "--json"], work, env, timeout=600)
    answer = json.loads(proc.stdout)
    assert answer["found"] is True
    assert "Sở Nội vụ" in answer["answer"]
    assert any(s["province"] == "Hà Tĩnh" for s in answer["sources"])


def test_installed_cchc_serve_serves_the_widget(installed):
    python, env, work, venv = installed
    port = _free_port()
    proc = subprocess.Popen([str(venv / "bin" / "cchc"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/widget.js", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "cchc serve did not answer in 120 s"
                time.sleep(0.3)
        assert r.status_code == 200
        assert "javascript" in r.headers["content-type"]
        assert len(r.text) > 1000
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_installed_package_loads_the_llm_prompts(installed):
    python, env, work, venv = installed
    code = ("import json, prompts; from bot.llm.prompts import Prompts; p = Prompts.load(); "
            "print(json.dumps({'file': prompts.__file__, 'system': p.system, 'answer': p.answer}))")
    loaded = json.loads(_run([str(python), "-c", code], work, env).stdout)
    assert Path(loaded["file"]).is_relative_to(venv)
    assert "{context}" in loaded["answer"] and "{question}" in loaded["answer"]
    assert loaded["system"].strip()
