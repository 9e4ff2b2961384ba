"""Plans nobody tuned for, added to a throw-away data dir the way an admin adds them (``cchc corpus add``).

The benchmarks' ``--plans DIR`` uses this: each file in DIR is added with the CLI of the checkout the benchmark
runs from, so the new documents go through the same upload, validation and parse path as a real upload.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def data_dir_with(plans_dir: Path) -> Path:
    """A fresh data dir holding the bundled plans and every plan in plans_dir (not indexed yet)."""
    data = Path(tempfile.mkdtemp(prefix="cchc-bench-"))
    env = {**os.environ, "CCHC_DATA_DIR": str(data)}
    for f in sorted(plans_dir.iterdir()):
        if f.suffix.lower() in (".txt", ".md", ".docx", ".pdf"):
            subprocess.run([sys.executable, "-c", "import sys; from api.cli import main; sys.exit(main())",
                            "corpus", "add", str(f), "--kind", "plan", "--no-index"],
                           cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return data


def plan_files(plans_dir: Path | None) -> list[Path]:
    return sorted(p for p in plans_dir.iterdir() if p.suffix.lower() == ".txt") if plans_dir else []
