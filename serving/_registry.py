"""Champion models from the MLflow registry, swapped atomically when an alias moves.

``Champions.refresh()`` looks up ``<name>@champion`` for every known model name and loads the
versions that changed. A request takes one ``LoadedModel`` reference and keeps using it even if
a refresh swaps the entry meanwhile, so in-flight requests never fail during a switch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from features._calendar import natural_key
from training import CHAMPION, configure_mlflow
from training._customer_labels import version_label_words
from training._mlflow import (
    MlflowUnreachableError,
    RegistryServerError,
    check_mlflow_servers,
    check_registry_uri,
    server_error,
)
from training._versions import kept_columns, older_run_tags, version_data

from ._responds import responds_to
from ._schemas import MAX_HORIZON

__all__ = ["MODEL_NAMES", "Champions", "LoadedModel"]

MODEL_NAMES = ("traffic_forecaster", "churn", "purchase_propensity", "customer_value")
_log = logging.getLogger("serving.registry")


@dataclass(frozen=True)
class LoadedModel:
    """One loaded champion.

    Attributes:
        name: registered model name.
        version: registry version that is loaded.
        model: the loaded object (what ``loader`` returned, an MLflow pyfunc by default).
        metrics: ``eval.*`` tags of the version (training/validation metrics).
        tags: all version tags (evaluation key, data cutoff, run id, ...).
        run_id: MLflow run that produced it.
        loaded_at: unix time of loading.
        outside_history: the alias points at this version though brain's last recorded
            champion move (``champion_moves``) went to another: it was moved outside brain
            (the MLflow UI or API), so the version's ``promotion`` tag is not why it serves.
        run_tags: tags of its training run (read for a version registered before its data
            tags were recorded; empty otherwise).
        alias_removed: the registry has no ``champion`` alias for the model any more (removed
            after this version was loaded): it is still served, until a version gets it.
    """

    name: str
    version: str
    model: Any
    metrics: dict[str, float]
    tags: dict[str, str]
    run_id: str | None
    loaded_at: float = field(default_factory=time.time)
    outside_history: bool = False
    run_tags: dict[str, str] = field(default_factory=dict)
    alias_removed: bool = False

    @property
    def ident(self) -> str:
        """The version and the run it came from: what caches key on (a registry rebuilt under a
        running server numbers a different model 1 again)."""
        return f"{self.version}:{self.run_id}"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version,
               "aliases": [] if self.alias_removed else [CHAMPION],
               "metrics": self.metrics, "evaluation": self.tags.get("eval.key"),
               # what it learned from, as brain models NAME --json gives it
               **version_data(self.tags, self.run_tags), "run_id": self.run_id,
               # what a customer model's label means (window, churn rule); None otherwise
               "label": version_label_words(self.name, self.tags),
               # why this version is the champion (a client sees a rollback or a manual move)
               "promotion": self._promotion(),
               "loaded_at": self.loaded_at}
        # a customer table model's columns kept with --keep-column (only when some were)
        inner = getattr(self.model, "model", self.model)
        kept = list(getattr(inner, "kept_columns_", ()) or ()) or kept_columns(self.tags)
        if kept:
            out["kept_columns"] = [str(c) for c in kept]
        forecaster = getattr(self.model, "forecaster", None)
        panel = getattr(forecaster, "panel_", None)
        if panel is not None and out["data_cutoff"] is None and panel.series:
            # the last observed period (a forecaster registered without its data tags)
            last = max(g.ds[-1] for g in panel.series.values())
            stamp = pd.Timestamp(last)
            out["data_cutoff"] = (str(stamp.date()) if stamp == stamp.normalize()
                                  else stamp.isoformat())
        if panel is not None and out["n_series"] is None:
            out["n_series"] = len(panel.series)
        if panel is not None:  # what POST /forecast_traffic needs and accepts
            out["known_in_advance"] = list(panel.regressor_names)
            # which series a plan of each column moves, by how much, from which channels
            out["responds_to"] = responds_to(forecaster)
            out["series"] = sorted((str(s) for s in panel.series), key=natural_key)
            out["freq"] = str(panel.freq)
            # the longest horizon the API answers: its own limit, or the model's (LightGBM
            # is trained for one); a client had to find it in the page's private endpoint
            limit = getattr(forecaster, "max_h_", None)
            out["max_horizon"] = min(MAX_HORIZON, int(limit)) if limit else MAX_HORIZON
            # the horizon its backtest measured (train --horizon): LightGBM is trained for
            # max_horizon_days (90 by default, raised to cover --horizon, never lowered), so
            # a model trained with --horizon 28 answers 90 days, 62 of them unmeasured
            shown = getattr(forecaster, "default_horizon_", None)
            out["evaluated_horizon"] = int(shown) if shown else None
            # the stores file it was trained with (--stores): where a planned city or state
            # holiday of POST /forecast_traffic goes
            from features._store_map import KEPT_ATTR, kept_stores_info

            out["stores"] = kept_stores_info(getattr(forecaster, KEPT_ATTR, None))
        return out


    def _promotion(self) -> str | None:
        tag = self.tags.get("promotion")
        if not self.outside_history:
            return tag
        # its tag may say it lost ("not promoted: ...") while it serves
        return ("set outside brain (the champion alias was moved in the MLflow UI or API, not "
                "by training or brain promote)" + (f"; this version's last decision: {tag}"
                                                  if tag else ""))


def _outside_history(name: str, version: str) -> bool:
    """Whether brain's recorded champion moves of ``name`` end on another version than
    ``version`` (False without recorded moves: a store from before they were kept)."""
    from training import champion_moves

    try:
        moves = champion_moves(name)
    except Exception:  # the history is a description: never a reason not to serve
        return False
    return bool(moves) and moves[-1].version != version


def _pyfunc_loader(uri: str) -> Any:
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(uri)


class Champions:
    """The loaded champion of each registered model."""

    def __init__(self, names: Iterable[str] = MODEL_NAMES,
                 loader: Callable[[str], Any] = _pyfunc_loader) -> None:
        self.names = tuple(names)
        self._loader = loader
        self._models: dict[str, LoadedModel] = {}
        self._errors: dict[str, str] = {}
        self._unreachable: str | None = None  # why the last refresh could not ask the registry
        self._lock = threading.Lock()

    def get(self, name: str) -> LoadedModel | None:
        return self._models.get(name)

    @property
    def loaded(self) -> dict[str, LoadedModel]:
        return dict(self._models)

    @property
    def errors(self) -> dict[str, str]:
        out = dict(self._errors)
        if self._unreachable:  # models not loaded yet: the server is why
            out.update({n: self._unreachable for n in self.names if n not in self._models})
        return out

    @property
    def registry_error(self) -> str | None:
        """Why the last refresh could not read the registry (its server did not answer), and
        that the loaded champions are kept meanwhile. None when it could."""
        if self._unreachable is None:
            return None
        kept = ", ".join(f"{n} v{m.version}" for n, m in self._models.items())
        return f"{self._unreachable}; {'still serving ' + kept if kept else 'no model loaded'}"

    def _mark(self, name: str, removed: bool) -> None:
        """Swap in ``name``'s loaded champion with ``alias_removed`` set to ``removed``."""
        models = dict(self._models)
        models[name] = replace(models[name], alias_removed=removed)
        self._models = models  # atomic swap, as a new version

    def refresh(self) -> dict[str, str]:
        """Load champions whose version changed; returns {name: what happened}.

        An MLflow server that does not answer (``check_mlflow_servers``, asked on every
        refresh) changes nothing and is reported in ``registry_error`` within
        ``BRAIN_MLFLOW_TIMEOUT`` seconds: MLflow's own retries had held a reload, and the
        start of the API, for about 4 minutes per model."""
        changes: dict[str, str] = {}
        with self._lock:  # one refresh at a time; readers never wait
            try:
                check_registry_uri()  # asks no server: a setting no answer would change
                check_mlflow_servers(cached=False)
                configure_mlflow()
            except (MlflowUnreachableError, RegistryServerError) as exc:
                self._unreachable = str(exc)
                _log.warning("champion refresh: %s", exc)
                return changes
            self._unreachable = None
            client = MlflowClient()
            for name in self.names:
                try:
                    mv = client.get_model_version_by_alias(name, CHAMPION)
                except MlflowException as exc:
                    gone = server_error(exc)
                    if gone is not None:  # went down during this refresh: the rest would too
                        self._unreachable = gone
                        _log.warning("champion refresh: %s", gone)
                        break
                    if name not in self._models:
                        self._errors[name] = f"no {name}@{CHAMPION} in the registry"
                    elif not self._models[name].alias_removed:
                        # the alias removed (a model taken out of service): it had been
                        # served on without a word, listed as the champion
                        self._mark(name, True)
                        changes[name] = (
                            f"the {CHAMPION} alias of {name} was removed from the registry: "
                            f"still serving v{self._models[name].version}, loaded before, "
                            f"until a version gets it (brain promote {name} <version>, then "
                            "POST /reload)")
                    continue
                current = self._models.get(name)
                if (current is not None and current.version == str(mv.version)
                        and current.run_id == mv.run_id):
                    if current.alias_removed:
                        self._mark(name, False)
                        changes[name] = f"{CHAMPION} alias back on v{current.version}"
                    continue
                try:
                    model = self._loader(f"models:/{name}/{mv.version}")
                except Exception as exc:  # keep serving the old champion; report why
                    self._errors[name] = f"loading {name} v{mv.version} failed: {exc}"
                    _log.exception("loading %s v%s failed", name, mv.version)
                    continue
                # eval.key and eval.rows name the data (hashes): they had been listed as
                # metrics of value null ("rows": null)
                metrics = {k[5:]: _float(v) for k, v in mv.tags.items()
                           if k.startswith("eval.") and k not in ("eval.key", "eval.rows")}
                new = LoadedModel(name, str(mv.version), model, metrics, dict(mv.tags),
                                  mv.run_id,
                                  outside_history=_outside_history(name, str(mv.version)),
                                  run_tags=older_run_tags(client, mv))
                models = dict(self._models)
                models[name] = new
                self._models = models  # atomic swap: readers hold their own reference
                self._errors.pop(name, None)
                changes[name] = (
                    f"loaded v{mv.version}" if current is None else
                    f"v{current.version} -> v{mv.version}" if current.version != new.version
                    else f"v{mv.version} is another model (run {mv.run_id}, was run "
                         f"{current.run_id}): the registry was rebuilt; loaded it")
                _log.info("%s: %s", name, changes[name])
        return changes

    def watch(self, every_seconds: float, stop: threading.Event,
              on_change: Callable[[], None] | None = None) -> threading.Thread:
        """Refresh every ``every_seconds`` in a daemon thread until ``stop`` is set; call
        ``on_change`` after a refresh that loaded something."""

        def loop() -> None:
            while not stop.wait(every_seconds):
                try:
                    if self.refresh() and on_change is not None:
                        on_change()
                except Exception:  # the registry may be briefly unreachable; try again later
                    _log.exception("champion refresh failed")

        t = threading.Thread(target=loop, name="champion-watch", daemon=True)
        t.start()
        return t


def _float(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return float("nan")
