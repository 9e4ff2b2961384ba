"""Logs under ``cchc serve``: our INFO lines are visible, and CCHC_LOG_FORMAT=json gives JSON lines with request ids."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import logging, logging.config
from api.logs import logging_config, request_id
logging.config.dictConfig(logging_config({fmt!r}))
logging.getLogger("cchc.zalo").info("zalo access token refreshed (valid %d s)", 90000)
request_id.set("req-42")
logging.getLogger("cchc.telegram").info("telegram update %s delivered again; ignored", 7)
logging.getLogger("uvicorn.access").info("GET /healthz 200")
"""


def run(fmt: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(fmt=fmt)], capture_output=True, text=True, timeout=60,
                         check=True)
    return out.stderr.strip().splitlines()


def test_cchc_info_lines_are_visible_in_text_logs():
    lines = run("text")
    assert any("INFO cchc.zalo [-] zalo access token refreshed" in line for line in lines)
    assert any("[req-42] telegram update 7 delivered again" in line for line in lines)


def test_json_lines_carry_level_logger_and_request_id():
    records = [json.loads(line) for line in run("json")]
    assert [r["logger"] for r in records] == ["cchc.zalo", "cchc.telegram", "uvicorn.access"]
    assert records[0]["level"] == "INFO" and "request_id" not in records[0]
    assert records[1]["request_id"] == "req-42" and records[1]["message"].startswith("telegram update 7")
    assert records[0]["time"].endswith("Z")
