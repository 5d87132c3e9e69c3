"""The Bento builds from serving/bentofile.yaml, ships the package's runtime requirements and
serves with `brain serve`'s keep-alive."""

from __future__ import annotations

import json
import os
import re
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
    _check_image_command(tmp_path)


def _check_image_command(tmp_path: Path) -> None:
    """The image's default command serves with ``brain serve``'s keep-alive: the Dockerfile's CMD
    given to BentoML's own entrypoint script (run here with a stand-in ``bentoml`` that prints
    its arguments, so no Docker engine is needed)."""
    from serving.cli import KEEP_ALIVE_SECONDS

    (bento,) = (tmp_path / "bentoml" / "bentos" / "marketing_brain").glob("*/")  # not "latest"
    dockerfile = (bento / "env" / "docker" / "Dockerfile").read_text()
    cmd = re.findall(r"^CMD (\[.*\])$", dockerfile, flags=re.MULTILINE)
    assert cmd, "the Bento's Dockerfile has no CMD: bentofile's dockerfile_template not applied"
    args = json.loads(cmd[-1])
    assert args == ["--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)]
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "bentoml").write_text('#!/bin/sh\necho "bentoml $*"\n')
    (fake / "bentoml").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", BENTO_PATH="/home/bentoml/bento")
    run = subprocess.run(["bash", str(bento / "env" / "docker" / "entrypoint.sh"), *args],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == (f"bentoml serve --timeout-keep-alive {KEEP_ALIVE_SECONDS} "
                                  "/home/bentoml/bento")


def test_serve_command_runs_this_installs_bentoml_not_another_on_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`brain serve` (and the page tests) start this interpreter's bentoml even when another
    install's comes first on PATH; it would import that install's packages."""
    from serving.cli import KEEP_ALIVE_SECONDS, bentoml_serve_command

    other = tmp_path / "other-venv" / "bin"
    other.mkdir(parents=True)
    (other / "bentoml").write_text("#!/bin/sh\nexit 1\n")
    (other / "bentoml").chmod(0o755)
    monkeypatch.setenv("PATH", f"{other}:{os.environ['PATH']}")
    cmd = bentoml_serve_command("127.0.0.1", 3999)
    assert cmd[0] == str(Path(sys.executable).with_name("bentoml"))
    assert cmd[1:] == ["serve", "serving.service:MarketingBrain", "--host", "127.0.0.1",
                       "--port", "3999", "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)]


def test_the_image_check_finds_a_version_that_starts_with_l(tmp_path: Path) -> None:
    """BentoML names a version by base32 of the build time (any of a-z, 2-7 first: 'l' one
    build in 32) beside the store's 'latest' file; the check of the built Bento finds it
    (a glob leaving out names that start with 'l' had made the slow test fail so)."""
    import bentoml

    from serving.cli import KEEP_ALIVE_SECONDS

    store = tmp_path / "bentoml" / "bentos" / "marketing_brain"
    docker = store / "lq3xwbzn5kxyzabc" / "env" / "docker"
    docker.mkdir(parents=True)
    (store / "latest").write_text("lq3xwbzn5kxyzabc")
    (docker / "Dockerfile").write_text(
        f'ENTRYPOINT [ "/home/bentoml/bento/env/docker/entrypoint.sh" ]\n'
        f'CMD ["--timeout-keep-alive", "{KEEP_ALIVE_SECONDS}"]\n')
    entry = (Path(bentoml.__file__).parent / "_internal" / "container" / "frontend"
             / "dockerfile" / "entrypoint.sh")
    (docker / "entrypoint.sh").write_text(entry.read_text())
    _check_image_command(tmp_path)
