"""Run the installed `erpops` command as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ERPOPS = str(Path(sys.executable).with_name("erpops"))


def run_erpops(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ERPOPS, *args], env=env, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, cwd=os.path.dirname(env.get("ERPOPS_STATE_DIR", os.getcwd())),
    )
