"""The Bento builds from serving/bentofile.yaml and ships the package's runtime requirements."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_bento_requirements_match_pyproject() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [ln.strip() for ln in (REPO / "serving" / "requirements.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines == deps


@pytest.mark.slow
def test_bento_builds(tmp_path: Path) -> None:
    env = dict(os.environ, BENTOML_HOME=str(tmp_path / "bentoml"))
    exe = str(Path(sys.executable).with_name("bentoml"))
    res = subprocess.run([exe, "build", "-f", "serving/bentofile.yaml", "."], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert "marketing_brain:" in res.stdout
