"""docs/experiments.md's CLI reference names every option that ``--help`` shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from serving._cli_ab import ab_app
from serving._cli_uplift import uplift_app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "experiments.md").read_text("utf-8")
REFERENCE = DOC.split("## CLI reference", 1)[1].split("\n## ", 1)[0]
# each command's part of the reference: from its name in backticks to the next command's
STARTS = {"ab analyze": "`brain ab analyze`", "ab plan": "`brain ab plan",
          "uplift train": "`brain uplift train", "uplift score": "`brain uplift score"}
app = typer.Typer()
app.add_typer(ab_app, name="ab")
app.add_typer(uplift_app, name="uplift")


def _section(command: str) -> str:
    at = sorted((REFERENCE.index(s), c) for c, s in STARTS.items())
    for i, (start, name) in enumerate(at):
        if name == command:
            return REFERENCE[start:at[i + 1][0] if i + 1 < len(at) else None]
    raise KeyError(command)


@pytest.mark.parametrize("path", list(STARTS))
def test_every_experiments_option_is_in_its_commands_cli_reference(path: str) -> None:
    group, name = path.split()
    command = typer.main.get_command(app).commands[group].commands[name]  # type: ignore[attr-defined]
    text = _section(path)

    def documented(opt: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text) is not None

    # a flag pair (--mlflow/--no-mlflow) is documented when either spelling is
    missing = sorted(p.opts[0] for p in command.params
                     if p.opts[0].startswith("--") and p.opts[0] != "--help"
                     and not any(documented(o) for o in (*p.opts, *p.secondary_opts)))
    assert not missing, f"brain {path}: options missing from docs/experiments.md: {missing}"
