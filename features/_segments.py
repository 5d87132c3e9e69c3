"""RFM segmentation: quintile scores, named lifecycle segments and a scene tag.

Rules (applied in this order; the first that matches names the segment):

1. ``new``: first event less than ``new_days`` (30) days before the cutoff;
2. ``lost``: no event of any kind in the last ``lost_days`` (180) days;
3. ``at_risk``: has bought before, and either no order for ``at_risk_days`` (90) days or the
   visit-drop rule fired (visits in the last 30 days fell by 50% or more);
4. ``loyal``: at least ``loyal_orders`` (3) orders and R and F scores both 4 or 5;
5. ``active``: everyone else (recently seen, not yet loyal; includes visitors who never bought).

Scores: R, F and M are quintiles 1-5 (5 = best: most recent, most orders, most revenue) over the
buyers being segmented; users who never bought get R = F = M = 1. A buyer's score is
``1 + floor(5 x share of buyers with a strictly worse value)``, so equal values get equal scores:
every one-order customer has the same F (until 2026-12-05 ties were broken by row order, so of
two identical customers one could be F = 1 and the other F = 4, and a three-order customer be
``loyal`` or not by its user id); with many ties a quintile holds more or fewer than a fifth.

Scene tag: the category group with most of the user's events, through ``SCENE_GROUPS`` (category
-> scene such as office, family, style, outdoor); categories not in the map count as 'general', and
so does ``cat_share_other`` (the categories pooled beyond the most frequent ones: they mix scenes).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["SCENE_GROUPS", "SEGMENTS", "rfm_segments"]

SEGMENTS = ("new", "active", "loyal", "at_risk", "lost")
SCENE_GROUPS: dict[str, str] = {
    "electronics": "office", "office": "office", "books": "office", "stationery": "office",
    "computers": "office", "home": "family", "kids": "family", "baby": "family",
    "toys": "family", "grocery": "family", "pets": "family", "beauty": "style",
    "fashion": "style", "shoes": "style", "jewelry": "style", "sports": "outdoor",
    "outdoor": "outdoor", "garden": "outdoor", "travel": "outdoor", "music": "entertainment",
    "games": "entertainment", "movies": "entertainment",
}


def _quintile(values: pd.Series, higher_is_better: bool) -> np.ndarray:
    v = values.to_numpy(dtype=float)
    out = np.ones(len(v), dtype=np.int8)
    ok = ~np.isnan(v)
    if ok.sum() == 0:
        return out
    # equal values, equal score: the rank of the first of a tie (the share strictly below it)
    r = pd.Series(v[ok] if higher_is_better else -v[ok]).rank(method="min").to_numpy()
    out[ok] = np.minimum((5 * (r - 1) / ok.sum()).astype(int) + 1, 5)
    return out


def rfm_segments(features: pd.DataFrame, *, new_days: float = 30, lost_days: float = 180,
                 at_risk_days: float = 90, loyal_orders: int = 3,
                 scene_groups: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Segment each row of a ``user_features`` frame.

    Returns user_id, cutoff, r_score, f_score, m_score, rfm (e.g. '545'), segment, scene.
    """
    f = features
    buyers = f["orders_total"] > 0
    r = _quintile(f["days_since_last_purchase"].where(buyers), higher_is_better=False)
    fq = _quintile(f["orders_total"].where(buyers), higher_is_better=True)
    m = _quintile(f["revenue_total"].where(buyers), higher_is_better=True)
    seg = np.full(len(f), "active", dtype=object)
    loyal = (f["orders_total"] >= loyal_orders).to_numpy() & (r >= 4) & (fq >= 4)
    at_risk = buyers.to_numpy() & (
        (f["days_since_last_purchase"] >= at_risk_days).to_numpy()
        | (f["visit_drop_50"] == 1).to_numpy())
    lost = (f["days_since_last_event"] >= lost_days).to_numpy()
    new = (f["tenure_days"] < new_days).to_numpy()
    seg[loyal] = "loyal"
    seg[at_risk] = "at_risk"
    seg[lost] = "lost"
    seg[new] = "new"
    groups = dict(SCENE_GROUPS if scene_groups is None else scene_groups)
    groups["other"] = "general"  # the pooled categories (features._users) are no one scene
    share_cols = [c for c in f.columns if c.startswith("cat_share_")]
    scene = np.full(len(f), "general", dtype=object)
    if share_cols:
        cats = [c[len("cat_share_"):] for c in share_cols]
        scenes = sorted({groups.get(c, "general") for c in cats})
        shares = f[share_cols].fillna(0).to_numpy()
        by_scene = np.stack([shares[:, [groups.get(c, "general") == s for c in cats]].sum(axis=1)
                             for s in scenes], axis=1)
        has = by_scene.sum(axis=1) > 0
        scene[has] = np.array(scenes, dtype=object)[by_scene.argmax(axis=1)[has]]
    return pd.DataFrame({
        "user_id": f["user_id"].to_numpy(), "cutoff": f["cutoff"].to_numpy(),
        "r_score": r, "f_score": fq, "m_score": m,
        "rfm": [f"{a}{b}{c}" for a, b, c in zip(r, fq, m, strict=True)],
        "segment": pd.Categorical(seg, categories=list(SEGMENTS)),
        "scene": scene,
    })
