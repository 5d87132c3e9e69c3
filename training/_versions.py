"""What a registered model version learned from and which code trained it, read alike for every
model kind (forecasters, customer models, uplift): ``code_version`` (the package and git commit,
tagged on the version and its run by ``training._mlflow.register_model``), ``version_data`` (the
version's ``DATA_TAGS``, and what versions registered before they were recorded kept), with
``older_run_tags`` for those older versions and ``data_text`` to say it in a few words
(``brain models``, ``GET /models``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

__all__ = ["DATA_TAGS", "KEPT_TAG", "code_version", "data_text", "kept_columns",
           "older_run_tags", "version_data"]


def code_version() -> tuple[str, str | None]:
    """Which code is training: ('marketing-brain 0.1.0, commit <sha>[, with uncommitted
    changes]', sha) when the running packages are a git checkout, else ('marketing-brain
    0.1.0', None). The package version stays 0.1.0 from one change to the next, and MLflow's
    own git tag names the repository of the script run (``.venv/bin/brain``: none, or another
    checkout than the code imported), so a registered version had not said which code
    trained it (README: older code scores a newer model by its own rules)."""
    import importlib.metadata as md
    import subprocess

    try:
        text = f"marketing-brain {md.version('marketing-brain')}"
    except md.PackageNotFoundError:
        text = "marketing-brain (not installed)"
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return text, None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=False)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return text, None
    sha = head.stdout.strip()
    if head.returncode != 0 or len(sha) != 40:
        return text, None
    changed = ", with uncommitted changes" if dirty.returncode == 0 and dirty.stdout.strip() \
        else ""
    return f"{text}, commit {sha[:12]}{changed} ({root})", sha


KEPT_TAG = "keep_columns"
"""Version tag of a customer table model: the columns ``brain train --table --keep-column``
kept as features (``CustomerModel.kept_columns_``), a JSON list; its run's param of that name
holds them comma-separated."""


def kept_columns(tags: Mapping[str, str], run_params: Mapping[str, str] | None = None
                 ) -> list[str]:
    """The columns a customer table model was told to keep (``--keep-column``): its version's
    ``KEPT_TAG``, or for a version registered before the tag (2026-12-07) its run's
    comma-separated param of that name; [] when none were kept."""
    import json

    tag = tags.get(KEPT_TAG)
    if tag:
        try:
            names = json.loads(tag)
        except ValueError:
            names = None
        if isinstance(names, list):
            return [str(c) for c in names]
    text = (run_params or {}).get(KEPT_TAG) or ""
    return [c for c in text.split(",") if c]


DATA_TAGS = ("data_cutoff", "data.start", "data.n_series", "data.n_customers")
"""Version tags every trainer sets, where known, on a registered version (``version_data``)."""


def version_data(tags: Mapping[str, str], run_tags: Mapping[str, str] | None = None
                 ) -> dict[str, str | int | None]:
    """What data a registered version learned from, the same for every model kind:
    ``data_cutoff`` (the last day of data it learned from: a forecaster's last observed period,
    a customer model's last label day), ``data_start`` (the first day of that data: with
    ``data_cutoff``, the training window), ``n_series`` (forecasters: series fitted) and
    ``n_customers`` (customer and uplift models: customers, or experiment units, in the
    training data, every split). None where not known (a table without dates, a version
    registered before these were recorded).

    ``tags`` are the version's (``DATA_TAGS``); versions registered before 2026-12-05 are read
    from what they kept then: a forecaster's ``data.summary`` ('9 series, 2024-01-01 ..
    2025-05-14'), and ``run_tags``, the tags of its training run when given (a customer
    model's ``data.start``)."""
    run_tags = run_tags or {}
    out: dict[str, str | int | None] = {
        "data_cutoff": tags.get("data_cutoff") or None,
        "data_start": tags.get("data.start") or None,
        "n_series": _int(tags.get("data.n_series")),
        "n_customers": _int(tags.get("data.n_customers"))}
    summary = tags.get("data.summary", "")
    if " series, " in summary and " .. " in summary:  # a forecaster before 2026-12-05
        count, _, span = summary.partition(" series, ")
        first, _, last = span.partition(" .. ")
        out["data_cutoff"] = out["data_cutoff"] or last.strip() or None
        out["data_start"] = out["data_start"] or first.strip() or None
        out["n_series"] = out["n_series"] if out["n_series"] is not None else _int(count)
    if out["data_start"] is None and run_tags.get("data.start"):
        out["data_start"] = run_tags["data.start"]
    return out


def older_run_tags(client: MlflowClient, mv: ModelVersion) -> dict[str, str]:
    """The training run's tags of registered version ``mv`` when it was registered before its
    data tags were recorded (``version_data`` reads its ``data.start`` there); empty for a newer
    version, or when the run was deleted since (the version's own tags then describe it).
    ``brain models`` and ``GET /models`` read older versions alike through it."""
    if "data.start" in mv.tags or not mv.run_id:
        return {}
    try:
        return dict(client.get_run(mv.run_id).data.tags)
    except MlflowException:
        return {}


def data_text(data: Mapping[str, str | int | None]) -> str:
    """``version_data`` in a few words: '2024-01-01 .. 2025-05-14, 9 series'; '' when
    nothing is known."""
    start, cutoff = data.get("data_start"), data.get("data_cutoff")
    parts = []
    if cutoff:
        parts.append(f"{start} .. {cutoff}" if start else f"up to {cutoff}")
    elif start:  # a start without a cutoff had read "not recorded" in brain models
        parts.append(f"from {start}")
    if data.get("n_series") is not None:
        parts.append(f"{data['n_series']:,} series")
    if data.get("n_customers") is not None:
        parts.append(f"{data['n_customers']:,} customers")
    return ", ".join(parts)


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).replace(",", "").strip())
    except ValueError:
        return None
