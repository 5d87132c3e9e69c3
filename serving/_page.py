"""The planner's page: a small Starlette app the BentoML service mounts at ``/ui``.

``page_app`` serves the single page (``static/index.html`` + plain JS/CSS, nothing fetched from
the network) and a few read-only helpers the page needs beside the public API:

- ``GET /api/forecast_options``: series the forecaster knows, its frequency, last observed period,
  the horizon limits, the known-in-advance columns it needs future values of and, for spend
  joined with ``--spend``, the channels each series' column summed (``built_from``);
- ``GET /api/history?series_id=total&periods=120``: the last observed values of one series;
- ``GET /api/customers_summary?top=20&sort=value_at_risk``: snapshot-wide churn-risk, propensity
  and value distributions, tier counts, segment sizes and the top at-risk users with reasons;
- ``GET /api/customers.csv``: every user's scores, tiers and segment as CSV, with the churn
  model's two early warnings (``early_warning``: visits or orders halved; ``early_warning_spend``:
  spend halved), as ``brain score`` writes them.

The views themselves call the public endpoints (``/forecast_traffic``, ``/experiments/analyze``).
Helpers answer errors as the API does, through its one mapping (``_error_body.exception_answer``)
and in its one shape (``ErrorAnswer``): a bad or unknown query parameter is a 400
``validation_error`` naming it (``_query``, as ``GET /customers``; they had answered
``bad_request`` and ignored unknown parameters), no model/snapshot a 503. The HTML/JS/CSS carry
no data, so the auth middleware may let them through without a token (``is_public``);
``/api/*`` needs the token like every other endpoint.
"""

from __future__ import annotations

import io
import threading
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from training._forecast_text import period_text

from ._core import BadRequestError, Brain, records
from ._error_body import json_errors
from ._query import only_params, query_choice, query_int, query_text
from ._schemas import ForecastRequest

__all__ = ["PAGE_PREFIX", "STATIC_DIR", "customers_summary", "is_public", "page_app"]

STATIC_DIR = Path(__file__).with_name("static")
PAGE_PREFIX = "/ui"
MAX_TOP = 500
_SORTS = ("value_at_risk", "churn")
_SCORE_MODELS = {"churn": "churn", "propensity": "purchase_propensity", "value": "customer_value"}


def is_public(path: str) -> bool:
    """Whether ``path`` is part of the page's static shell (no data, no token needed)."""
    if path in (PAGE_PREFIX, PAGE_PREFIX + "/"):
        return True
    return path.startswith(PAGE_PREFIX + "/static/")


def _live_brain() -> Brain:
    from .service import live_brain

    return live_brain()


# ---------------------------------------------------------------------------- forecast helpers
def _forecaster(brain: Brain) -> Any:
    return brain._model("traffic_forecaster").model.forecaster


@json_errors
def forecast_options(request: Request) -> Response:
    """Series, frequency, last observed period and horizon limits of the loaded forecaster."""
    from training._forecast_coherent import coherent_totals, plan_series

    only_params(request.query_params, (), "GET /ui/api/forecast_options")
    brain = _live_brain()
    loaded = brain._model("traffic_forecaster")
    fc = loaded.model.forecaster
    panel = fc.panel_
    series = sorted(str(s) for s in panel.series)
    last = max(g.ds[-1] for g in panel.series.values())
    limits = ForecastRequest.model_fields["horizon"].metadata
    hi = next((m.le for m in limits if hasattr(m, "le")), 400)
    # the loaded model's own longest horizon (LightGBM is trained for one), within the API's
    hi = min(hi, int(getattr(fc, "max_h_", hi)))
    cal = fc.calendar_
    # per known-in-advance column, the channels each series' column summed (--spend): the
    # page's scenario scales one channel's rows and the rows of the totals that sum it
    sources = getattr(fc, "column_sources_", None) or {}
    built = {str(c): (sources.get(c) or {}).get("series") for c in panel.regressor_names}
    upcoming = cal.loc[cal["end"] > last] if len(cal) else cal
    return JSONResponse({
        "model": loaded.name, "version": loaded.version, "series": series,
        "default_series": "total" if "total" in series else series[0],
        "freq": panel.freq, "last_ds": pd.Timestamp(last).isoformat(), "max_horizon": hi,
        # columns the model needs future values of (POST /forecast_traffic's 'future')
        "known_in_advance": [str(c) for c in panel.regressor_names],
        # a total answered by its channels reads their rows (training._forecast_coherent)
        "plan_series": {t: plan_series(fc, [t]) for t in coherent_totals(fc)},
        "built_from": {c: None if b is None else {str(s): [str(x) for x in ch]
                                                  for s, ch in b.items()}
                       for c, b in built.items()},
        "known_events": records(upcoming[["name", "start", "end", "kind", "channel",
                                          "intensity"]]) if len(upcoming) else [],
    })


@json_errors
def history(request: Request) -> Response:
    """The last ``periods`` observed values of one series (for context on the chart)."""
    only_params(request.query_params, ("series_id", "periods"), "GET /ui/api/history")
    fc = _forecaster(_live_brain())
    # an empty value is the parameter left out (``_query``): '' had been an unknown series
    sid = query_text(request.query_params, "series_id", "total")
    if sid not in fc.panel_.series:
        from training._forecast_ids import unknown_series_text

        raise BadRequestError(
            unknown_series_text([sid], list(map(str, fc.panel_.series)), "unknown series_id"),
            code="unknown_series_id", field="series_id")
    n = query_int(request.query_params, "periods", 120, 1, 5_000)
    g = fc.panel_.series[sid]
    ds, y = g.ds[-n:], np.asarray(g.y, dtype=float)[-n:]
    return JSONResponse({"series_id": sid, "history": records(pd.DataFrame({"ds": ds, "y": y}))})


# ---------------------------------------------------------------------------- customers
_cache_lock = threading.Lock()
_cache: dict[str, Any] = {}


def _scores(brain: Brain) -> tuple[pd.DataFrame, dict[str, dict[str, str]], dict[str, str]]:
    """Every snapshot user's scores and tiers (cached per model versions and snapshot)."""
    from training._customer_mlflow import score_frame

    snap = brain._snap()
    loaded = {k: brain.champions.get(v) for k, v in _SCORE_MODELS.items()}
    key = tuple((k, None if m is None else m.ident) for k, m in loaded.items())
    with _cache_lock:
        # the snapshot by identity (a weak reference: the cache does not keep an old one
        # alive); keyed by id() it had answered for a snapshot loaded where a freed one had
        # lain (after two POST /reload): the old customers' counts, tiers and CSV, or a 500
        seen = _cache.get("snapshot")
        if _cache.get("key") == key and seen is not None and seen() is snap:
            return _cache["frame"], _cache["models"], _cache["missing"]
        if loaded["churn"] is None:
            brain._model("churn")  # raises NotReadyError with the fix
        feats = snap.features
        out = pd.DataFrame({"user_id": feats.index.astype(str)})
        seg = snap.segments["segment"].astype(str).reindex(feats.index)
        out["segment"] = seg.fillna("unknown").to_numpy()
        models: dict[str, dict[str, str]] = {}
        missing: dict[str, str] = {}
        for short, m in loaded.items():
            if m is None:
                missing[short] = brain.champions.errors.get(_SCORE_MODELS[short], "not loaded")
                continue
            table = brain.score_table(m)  # the API's cached answers, when ready
            if table is not None:
                out[short] = table.score
                out[f"{short}_tier"] = np.asarray(table.tier_names, dtype=object)[
                    table.tier_code]
                if short == "churn":
                    flags = np.asarray([None, False, True], dtype=object)
                    out["early_warning"] = flags[table.warning_code]
                    out["early_warning_spend"] = flags[table.spend_code]
            else:
                scored = score_frame(m.model.model, feats, reasons=False)
                out[short] = scored["score"].to_numpy(dtype=float)
                out[f"{short}_tier"] = scored["tier"].astype(str).to_numpy()
                if short == "churn":
                    # the visit rule and, beside it, the spend rule (``early_warning_spend``),
                    # as ``brain score`` and the API's answers carry them
                    for col in ("early_warning", "early_warning_spend"):
                        ew = scored[col].astype("boolean")
                        out[col] = ew.to_numpy(dtype=object, na_value=None)
            models[short] = {"name": m.name, "version": m.version}
        out["value_at_risk"] = out["churn"] * out["value"] if "value" in out else np.nan
        _cache.update(key=key, snapshot=weakref.ref(snap), frame=out, models=models,
                      missing=missing)
        return out, models, missing


def _histogram(values: np.ndarray, lo: float, hi: float, bins: int) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    counts, edges = np.histogram(np.clip(finite, lo, hi), bins=bins, range=(lo, hi))
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
            "mean": float(finite.mean()) if finite.size else None,
            "median": float(np.median(finite)) if finite.size else None}


def customers_summary(brain: Brain, top: int = 50, sort: str = "value_at_risk") -> dict[str, Any]:
    """Snapshot-wide distributions, tiers, segments and the top at-risk users with reasons."""
    from training._customer_mlflow import score_frame

    sort = query_choice({"sort": sort}, "sort", "value_at_risk", _SORTS)
    frame, models, missing = _scores(brain)
    snap = brain._snap()
    dists: dict[str, Any] = {}
    for short in ("churn", "propensity"):
        if short in frame:
            dists[short] = _histogram(frame[short].to_numpy(), 0.0, 1.0, 20)
            dists[short]["tiers"] = frame[f"{short}_tier"].value_counts().to_dict()
    if "value" in frame:
        v = frame["value"].to_numpy()
        hi = float(np.nanquantile(v, 0.99)) if np.isfinite(v).any() else 1.0
        dists["value"] = _histogram(v, 0.0, max(hi, 1e-9), 20)
        dists["value"]["tiers"] = frame["value_tier"].value_counts().to_dict()
        dists["value"]["total"] = float(np.nansum(v))
        dists["value"]["clipped_at_p99"] = True
    agg: dict[str, tuple[str, str]] = {"users": ("user_id", "size")}
    agg.update({f"mean_{s}": (s, "mean") for s in ("churn", "propensity", "value") if s in frame})
    segs = frame.groupby("segment", sort=False).agg(**agg).reset_index()
    segs["share"] = segs["users"] / max(len(frame), 1)
    segs = segs.sort_values("users", ascending=False)
    key = sort if sort in frame and frame[sort].notna().any() else "churn"
    ranked = frame.sort_values([key, "churn"], ascending=False, kind="stable").head(top)
    churn_model = brain.champions.get("churn")
    reasons: list[list[str]] = [[] for _ in range(len(ranked))]
    if churn_model is not None and len(ranked):
        rows = snap.features.loc[ranked["user_id"].to_numpy()]
        # "why at risk": what pushes each user's churn risk up, whatever the tier (a user
        # ranked here by value at risk can sit in the low churn tier, whose own reasons say
        # what keeps the risk low: "expected orders ... is high" had been shown as why a user
        # is at risk); decision-path reasons, as `brain score` and the API give them
        out = score_frame(churn_model.model.model, rows, reasons=True, top=3,
                          reason_method="path", lowest=np.zeros(len(rows), dtype=bool))
        cols = [c for c in out.columns if c.startswith("reason_")]
        reasons = [[r for r in row if isinstance(r, str) and r] for row in
                   out[cols].itertuples(index=False, name=None)]
    at_risk = records(ranked)
    for row, why in zip(at_risk, reasons, strict=True):
        row["reasons"] = why
    cutoff = period_text(snap.cutoff)
    # 'asof': the name before 2026-12-07, kept for scripts reading the helper
    return {"snapshot_cutoff": cutoff, "asof": cutoff, "users": len(frame), "models": models,
            "missing": missing, "sort": key, "distributions": dists,
            "segments": records(segs), "at_risk": at_risk}


@json_errors
def customers_summary_endpoint(request: Request) -> Response:
    params = request.query_params
    only_params(params, ("top", "sort"), "GET /ui/api/customers_summary")
    top = query_int(params, "top", 20, 1, MAX_TOP)
    sort = query_choice(params, "sort", "value_at_risk", _SORTS)
    return JSONResponse(customers_summary(_live_brain(), top=top, sort=sort))


@json_errors
def customers_csv(request: Request) -> Response:
    """Every user's scores, tiers, segment and value at risk."""
    only_params(request.query_params, (), "GET /ui/api/customers.csv")
    brain = _live_brain()
    frame, _, _ = _scores(brain)
    buf = io.StringIO()
    out = frame.sort_values("churn", ascending=False, kind="stable")
    # yes/no columns as the page's other download writes them (true/false, as in the API's
    # JSON), not pandas' True/False
    flags = [c for c in out.columns if pd.api.types.is_bool_dtype(out[c].dtype) or (
        out[c].dtype == object and out[c].dropna().map(type).isin([bool, np.bool_]).all()
        and out[c].notna().any())]
    out = out.assign(**{c: out[c].map({True: "true", False: "false"}) for c in flags})
    out.to_csv(buf, index=False)
    name = f"customers-{brain._snap().cutoff.date()}.csv"
    return Response(buf.getvalue(), media_type="text/csv",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


# ---------------------------------------------------------------------------- the page
def index(request: Request) -> Response:
    """The page; ``/ui`` redirects to ``/ui/`` so relative asset links resolve."""
    if not request.url.path.endswith("/"):
        return RedirectResponse(request.url.path + "/", status_code=307)
    return FileResponse(STATIC_DIR / "index.html", headers={"cache-control": "no-cache"})


page_app = Starlette(routes=[
    Route("/", index, methods=["GET"]),
    Route("/api/forecast_options", forecast_options, methods=["GET"]),
    Route("/api/history", history, methods=["GET"]),
    Route("/api/customers_summary", customers_summary_endpoint, methods=["GET"]),
    Route("/api/customers.csv", customers_csv, methods=["GET"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
])
