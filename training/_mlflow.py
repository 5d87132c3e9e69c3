"""MLflow plumbing shared by every trainer: where the store lives, registration, champion promotion.

Defaults need nothing started by hand: a SQLite tracking/registry store and an artifact folder
inside ``brain_home()`` (``$BRAIN_HOME`` or ``./brain-home``). Point ``MLFLOW_TRACKING_URI`` at a
tracking server to use that instead.

The ``champion`` alias of a registered model only moves when a candidate beats the current champion
*on the same evaluation*: every registered version carries tags ``eval.key`` (an identifier of the
evaluation data and protocol) and ``eval.<metric>`` values. When the champion was scored on another
evaluation, the caller may pass ``rescore_champion`` to score it on the candidate's evaluation;
otherwise the champion is kept and the record says why. Ties keep the champion, unless the caller
asks (``tie_to_candidate_when_rescored``) that a tie with a re-scored champion go to the candidate.

What a registered version learned from and which code trained it (``version_data``,
``code_version``): ``training._versions``.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from ._versions import code_version

__all__ = [
    "CHAMPION",
    "ChampionMove",
    "MlflowUnreachableError",
    "Promotion",
    "RegistryServerError",
    "Rescored",
    "StoreSetupError",
    "TieBreak",
    "brain_home",
    "champion_moves",
    "check_mlflow_servers",
    "check_registry_uri",
    "configure_mlflow",
    "get_or_create_experiment",
    "promote_if_better",
    "register_model",
    "set_champion",
    "store_note",
]

CHAMPION = "champion"
_log = logging.getLogger(__name__)


def brain_home() -> Path:
    """Folder holding the local MLflow store, artifacts and generated data (``$BRAIN_HOME``)."""
    home = Path(os.environ.get("BRAIN_HOME", "brain-home")).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


_HARMLESS_PYFUNC = (
    # Our pyfunc classes (``CustomerScorer``...) live in importable modules and hold no state:
    # cloudpickle stores a reference to the class, and the fitted model travels as a separate
    # artifact that ``load_context`` unpickles. Unpickling runs code whichever way the model is
    # saved, so the advice (models-from-code) would not make loading our own registry safer.
    "Passing a Python object as `python_model` causes it to be serialized using CloudPickle",
    "Validating input example against model signature",  # progress note on every log_model
)


def _drop_harmless(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(_HARMLESS_PYFUNC)


def _quiet_mlflow() -> None:
    # MLflow's alembic migrations and pip-requirement inference log loudly on a first run.
    for name in ("alembic", "mlflow.store.db.utils", "mlflow.utils.requirements_utils"):
        logging.getLogger(name).setLevel(logging.WARNING)
    pyfunc = logging.getLogger("mlflow.pyfunc")
    if _drop_harmless not in pyfunc.filters:
        pyfunc.addFilter(_drop_harmless)
    warnings.filterwarnings("ignore", module="mlflow.*")


class MlflowUnreachableError(ConnectionError):
    """The MLflow tracking or registry server (an http(s) URI) did not answer."""


# MLflow's own defaults retry a request to a server that is down 7 times with a backoff of up to
# 2 minutes (about 4 minutes per request, 8 minutes before 'brain forecast predict' said
# anything), and wait 120 s for each answer. A user's own setting of these variables wins.
_HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "4",  # ~30 s of retries per request
                  "MLFLOW_HTTP_REQUEST_TIMEOUT": "60"}
_reached: set[str] = set()


def _is_http(uri: str) -> bool:
    return uri.lower().startswith(("http://", "https://"))


def check_mlflow_servers(*, cached: bool = True, registry: bool = True) -> None:
    """Raise ``MlflowUnreachableError`` (one clear sentence) when the tracking server or the
    separate registry (``BRAIN_REGISTRY_URI``) at an http(s) address does not answer within
    ``BRAIN_MLFLOW_TIMEOUT`` seconds (default 10). Local stores are not checked. ``cached``:
    a server that answered once in this process is not asked again (the API's reloads pass
    False, so a server gone down since is reported instead of waited for). ``registry``:
    False leaves the registry out (a command that only logs runs)."""
    import requests

    tracking = os.environ.get("MLFLOW_TRACKING_URI") or ""
    targets = [(tracking, "MLFLOW_TRACKING_URI")]
    separate = os.environ.get("BRAIN_REGISTRY_URI") or ""
    if registry and separate and separate != tracking:
        targets.append((separate, "BRAIN_REGISTRY_URI"))
    targets = [(uri, var) for uri, var in targets
               if _is_http(uri) and not (cached and uri in _reached)]
    if not targets:  # a local store: nothing to ask, nothing read
        return
    try:
        timeout = float(os.environ.get("BRAIN_MLFLOW_TIMEOUT") or 10)
    except ValueError:
        timeout = math.nan
    if not (math.isfinite(timeout) and timeout > 0):
        # requests refuses 0 and negative timeouts with its own words ('Invalid timeout (0.0,
        # 0.0)'), which named no setting
        raise MlflowUnreachableError(
            f"BRAIN_MLFLOW_TIMEOUT={os.environ['BRAIN_MLFLOW_TIMEOUT']!r} is not a positive "
            "number of seconds (how long to wait for the MLflow server; default 10). Fix: "
            "set it to e.g. 30, or unset it") from None
    for uri, var in targets:
        try:
            # any answer (even 401/404 behind a proxy) means the server is there; TLS settings
            # (MLFLOW_TRACKING_SERVER_CERT_PATH...) are MLflow's to apply, so a TLS error is too
            requests.get(f"{uri.rstrip('/')}/health", timeout=(timeout, timeout))
        except requests.exceptions.SSLError:
            pass
        except requests.exceptions.RequestException as exc:
            if isinstance(exc, requests.exceptions.Timeout):
                why = f"no answer within {timeout:g} s"
            elif "refused" in str(exc).lower():
                why = "connection refused: nothing listens there"
            else:
                why = str(exc).splitlines()[0][:200]
            _reached.discard(uri)
            raise MlflowUnreachableError(
                f"the MLflow server {uri} ({var}) is not reachable ({why}). Start it or fix "
                f"{var}; unset it to use the local store in BRAIN_HOME. (BRAIN_MLFLOW_TIMEOUT "
                "sets how long to wait, now "
                f"{timeout:g} s)") from None
        _reached.add(uri)


def artifacts_where(run_id: str, experiment_id: str, artifact_uri: str) -> str:
    """Where a person finds a run's artifacts: a local folder (file store), or the run's
    artifacts page in the tracking server's UI (a proxied ``mlflow-artifacts:/`` URI or an
    object store cannot be opened as a path: the CLI had printed 'fold plots:
    mlflow-artifacts:/1/<run>/artifacts/plots')."""
    if artifact_uri.startswith(("file://", "/")):
        return artifact_uri.removeprefix("file://")
    tracking = mlflow.get_tracking_uri()
    if _is_http(tracking):
        return f"{tracking.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}/artifacts"
    return artifact_uri


def server_error(exc: BaseException) -> str | None:
    """The sentence to show for ``exc`` when it says the MLflow server is unreachable or did not
    answer (``MlflowUnreachableError``, or an MLflow request that failed on its connection after its
    retries, e.g. the server went down during a run); None for any other error."""
    import requests

    if isinstance(exc, (MlflowUnreachableError, StoreSetupError)):
        return str(exc)
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return (f"the MLflow server did not answer ({first[:300]}); a run this command "
                    "had started may be left unfinished there")
        seen = seen.__cause__ or seen.__context__
    return None


class RegistryServerError(ValueError):
    """``BRAIN_REGISTRY_URI`` names an MLflow server other than the tracking store: no model
    logged to the tracking store can be registered there (see ``check_registry_uri``)."""


def _store_uris() -> tuple[str, str]:
    """(tracking URI, registry URI) as ``configure_mlflow`` sets them."""
    uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{brain_home() / 'mlflow.db'}"
    return uri, os.environ.get("BRAIN_REGISTRY_URI") or uri


def _registry_server_problem(what: str) -> str | None:
    """Why the configured registry cannot be used (``what``: 'register traffic_forecaster'),
    or None. Asks no server: it reads the settings only."""
    tracking, registry = _store_uris()
    if not _is_http(registry) or registry.rstrip("/") == tracking.rstrip("/"):
        return None
    # the server looks the model up in its own tracking store: it answered 500 ('Logged
    # model ... not found', or a local path refused) to every try, after MLflow's retries,
    # and left the registered name behind without a version
    return (f"cannot {what}: BRAIN_REGISTRY_URI={registry} is an MLflow server, and an MLflow "
            f"server registers only models logged to its own tracking store, not to {tracking}"
            ". Use a database URI for a separate registry (sqlite:///path/registry.db, "
            "postgresql://...), or unset BRAIN_REGISTRY_URI to register on the tracking store")


def check_registry_uri(what: str = "use the model registry") -> None:
    """Raise ``RegistryServerError`` when ``BRAIN_REGISTRY_URI`` is an MLflow server other than
    the tracking store. Commands that register or read the registry call it first, before any
    data is read or model fitted: the refusal had come from ``register_model``, after a
    training run of many minutes. Asks no server."""
    problem = _registry_server_problem(what)
    if problem is not None:
        raise RegistryServerError(f"{problem}.")


def configure_mlflow(*, registry_needed: bool = True) -> str:
    """Point MLflow's tracking and registry at the configured store and return its URI.

    An http(s) server is checked once per process (``check_mlflow_servers``): one that is down
    or hangs is an ``MlflowUnreachableError`` error within ``BRAIN_MLFLOW_TIMEOUT`` seconds.
    ``registry_needed`` (the default): a registry that cannot be used
    (``check_registry_uri``) is a ``RegistryServerError``; callers that only log runs (a
    backtest, a kept forecast) pass False."""
    _quiet_mlflow()
    if registry_needed:
        check_registry_uri()
    uri, registry = _store_uris()
    if _is_http(uri) or _is_http(registry):
        for key, value in _HTTP_DEFAULTS.items():
            os.environ.setdefault(key, value)
    mlflow.set_tracking_uri(uri)
    # mlflow.set_registry_uri exports MLFLOW_REGISTRY_URI itself, so that variable cannot tell a
    # user's choice from our last call: a separate registry is chosen with BRAIN_REGISTRY_URI.
    mlflow.set_registry_uri(registry)
    check_mlflow_servers(registry=registry_needed)
    for local in dict.fromkeys((uri, registry)):
        _open_local_store(local, tracking=local == uri, registry=local == registry)
    return uri


class StoreSetupError(RuntimeError):
    """A local SQLite store could not be opened or made (e.g. its schema migration failed)."""


_opened: set[str] = set()


def _sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, or None (a server, another database,
    an in-memory SQLite)."""
    if not uri.lower().startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _open_local_store(uri: str, *, tracking: bool, registry: bool) -> None:
    """Open a local SQLite store once per process, holding an OS lock on ``<db>.lock`` beside it.

    MLflow makes a new SQLite store's tables by running its schema migrations when the store is
    first opened, with no lock between processes: two commands started together on a new store
    (two terminals, a CI job) both migrated it, and one of them died in SQLAlchemy ('table
    _alembic_tmp_experiments already exists', 'Online migration expected to match one row').
    Here the first opening waits for any other process that holds the lock, then finds the
    tables made. A failure is a ``StoreSetupError`` naming the store and the fix."""
    path = _sqlite_file(uri)
    if path is None or uri in _opened or not path.parent.is_dir():
        return  # a missing folder is MLflow's to report
    import fcntl

    lock = path.with_name(path.name + ".lock")
    try:
        held = open(lock, "a")  # noqa: SIM115 - closed below, which releases the lock
    except OSError:
        return  # a read-only folder: no other process can be making a store there either
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        if tracking:
            client.search_experiments(max_results=1)
        if registry:
            client.search_registered_models(max_results=1)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise StoreSetupError(
            f"the MLflow store {uri} could not be opened or set up ({first}). If it is new and "
            f"empty, delete {path} and run the command again; if it holds your runs, check that "
            "no other program (mlflow ui, an older brain) is writing to it and run the command "
            "again") from None
    finally:
        held.close()
    _opened.add(uri)


def store_note() -> str:
    """Which MLflow store a command read, for messages about a model it did not find: with
    neither ``BRAIN_HOME`` nor ``MLFLOW_TRACKING_URI`` set the store is ``./brain-home`` under
    the current folder, so a command run from another folder than the one ``brain demo`` or
    ``brain train`` ran in sees an empty store (it had said "nothing is registered yet")."""
    registry = os.environ.get("BRAIN_REGISTRY_URI")
    if registry:  # models are looked up there, not in the tracking store
        return f"registry {registry} (BRAIN_REGISTRY_URI)"
    where = f"sqlite:///{brain_home() / 'mlflow.db'}"
    uri = os.environ.get("MLFLOW_TRACKING_URI")  # mlflow.set_tracking_uri exports ours too
    if uri and uri != where:
        return f"store {uri} (MLFLOW_TRACKING_URI)"
    if os.environ.get("BRAIN_HOME"):
        return f"store {where} (BRAIN_HOME)"
    return (f"store {where}: BRAIN_HOME is not set, so the store is ./brain-home in the current "
            "folder; set BRAIN_HOME to the brain-home folder your models were trained in")


def get_or_create_experiment(name: str) -> str:
    """Return the id of experiment ``name``, creating it (artifacts under ``brain_home()``)."""
    configure_mlflow(registry_needed=False)
    client = MlflowClient()
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    location = None
    if not os.environ.get("MLFLOW_TRACKING_URI", "").startswith("http"):
        location = (brain_home() / "artifacts" / name).as_uri()
    return client.create_experiment(name, artifact_location=location)


def register_model(
    run_id: str,
    artifact_path: str,
    name: str,
    metrics: Mapping[str, float],
    evaluation: str,
    *,
    model_uri: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
    description: str | None = None,
) -> ModelVersion:
    """Register the model logged by ``run_id`` under ``name``, tagged with its evaluation.

    ``model_uri`` overrides ``runs:/<run_id>/<artifact_path>`` (MLflow 3 logged-model URIs);
    ``extra_tags`` are added to the version (e.g. ``eval.rows``, see ``promote_if_better``);
    ``description`` becomes the registered model's own description (what it answers, who
    serves it, how its champion moves: the MLflow UI's model list showed none) when it has
    none yet, so one written there by hand is kept.
    """
    problem = _registry_server_problem(f"register {name}")
    if problem is not None:  # commands refuse before training (check_registry_uri)
        raise RegistryServerError(f"{problem}. The run {run_id} is logged there.")
    configure_mlflow()
    uri = model_uri or f"runs:/{run_id}/{artifact_path}"
    code, commit = code_version()
    tags = {"eval.key": evaluation, "run_id": run_id, "code.version": code,
            **(extra_tags or {})}
    tags.update({f"eval.{k}": repr(float(v)) for k, v in metrics.items()})
    try:  # the run too: the MLflow UI shows mlflow.source.git.commit as the run's commit
        client = MlflowClient()
        client.set_tag(run_id, "code.version", code)
        if commit:
            client.set_tag(run_id, "mlflow.source.git.commit", commit)
    except MlflowException:  # a description: never a reason not to register
        _log.warning("run %s: the code version could not be recorded", run_id, exc_info=True)
    version = mlflow.register_model(uri, name, tags=tags)
    if description:
        try:
            client = MlflowClient()
            if not (client.get_registered_model(name).description or "").strip():
                client.update_registered_model(name, description=description)
        except MlflowException:  # a description: never a reason to fail a registration
            _log.warning("%s: the description could not be recorded", name, exc_info=True)
    return version


# the champion rules, re-exported (``training`` and older callers import them from here)
from ._mlflow_champion import (  # noqa: E402
    ChampionMove,
    Promotion,
    Rescored,
    TieBreak,
    champion_moves,
    promote_if_better,
    set_champion,
)
