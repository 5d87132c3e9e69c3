"""The ``champion`` alias: ``promote_if_better`` moves it only when a candidate beats the
current champion on the same evaluation (re-scoring the champion when asked), ``set_champion``
moves it by hand, and every move is recorded on the registered model (``champion_moves``).

The rules are those of ``training._mlflow``'s module docstring."""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from ._mlflow import CHAMPION, _log, configure_mlflow

__all__ = ["ChampionMove", "Promotion", "Rescored", "TieBreak", "champion_moves",
           "evaluation_words", "promote_if_better", "set_champion"]


def evaluation_words(key: str | None) -> str:
    """An evaluation key (a version's ``eval.key`` tag) in words, the key itself after them:
    'backtest (data fingerprint 6a7b3891…, horizon 60, 3 folds; key 'backtest:…:h60:k3')'.
    A promotion reason had given the key alone ('on 'backtest:6a7b3891b250ec25:h60:k3''),
    which says nothing to a planner; code compares the tags, never the reason's text. A key
    of another form is returned quoted, as it was."""
    import re

    text = str(key)
    got = re.fullmatch(r"backtest:([0-9a-f]+):h(\d+):k(\d+)", text)
    if got:
        folds = int(got[3])
        return (f"backtest (data fingerprint {got[1][:8]}…, horizon {got[2]}, {folds} "
                f"fold{'s' if folds != 1 else ''}; key {text!r})")
    parts = text.split("|")
    if len(parts) == 6 and parts[3].startswith("valid=") and parts[4].startswith("n="):
        task, label, tag, valid, n, fp = parts
        horizon = tag.removeprefix("horizon=")
        n_rows = int(n[2:]) if n[2:].isdecimal() else n[2:]
        return (f"validation ({task}, label {label}"
                + (f" over {horizon} days" if horizon.isdecimal() else f", {tag}")
                + f", validated at {valid[6:]} on {n_rows:,} customers, data fingerprint "
                f"{fp[:8]}…; key {text!r})")
    return repr(text)


def _on_same(key: str) -> str:
    """'on the same backtest (…)' for a known key, 'on '<key>'' for another."""
    words = evaluation_words(key)
    return f"on {words}" if words.startswith("'") else f"on the same {words}"


@dataclass(frozen=True)
class Promotion:
    """What ``promote_if_better`` decided.

    Attributes:
        name: registered model name.
        candidate_version: version that was considered.
        promoted: whether the ``champion`` alias now points at the candidate.
        previous_version: champion version before the decision (None when there was none).
        metric: metric compared.
        candidate_value: the candidate's value of ``metric``.
        champion_value: the previous champion's value on the same evaluation (None if no champion).
        reason: one sentence saying why.
    """

    name: str
    candidate_version: str
    promoted: bool
    previous_version: str | None
    metric: str
    candidate_value: float
    champion_value: float | None
    reason: str


def _champion(client: MlflowClient, name: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


Rescored = tuple[float | None, float, str] | tuple[float | None, float, str, dict[str, float]]
"""What a ``rescore_champion`` callback may return instead of a bare champion value: (champion
value or None when no fair comparison is possible, candidate value on the same rows, a note),
and optionally the champion's other metrics on the same evaluation (its ``TieBreak`` metric)."""


@dataclass(frozen=True)
class TieBreak:
    """A second metric that decides between a candidate and the champion when the first one
    ties (``promote_if_better``): it can never promote a candidate whose first metric is worse
    by more than ``rel_tol``.

    Attributes:
        metric: its name; the champion's value is its ``eval.<metric>`` tag on the same
            evaluation, or the fourth element of what ``rescore_champion`` returned.
        candidate_value: the candidate's value (NaN: no value, the tie-break is not used).
        higher_is_better: direction of ``metric``.
        rel_tol: the first metric ties when the two values differ by at most this share of the
            larger one.
        what: what ``metric`` scores, for the reason ('the 6 series that start inside a fold').
    """

    metric: str
    candidate_value: float
    higher_is_better: bool = False
    rel_tol: float = 1e-6
    what: str = ""

    def ties(self, a: float, b: float) -> bool:
        """Whether ``a`` and ``b`` (values of the first metric) tie."""
        return bool(math.isfinite(a) and math.isfinite(b)
                    and abs(a - b) <= self.rel_tol * max(abs(a), abs(b)))


_MOVE_TAG = "champion.move."
_MAX_REASON = 2000  # tag values are bounded (5,000 characters in MLflow's SQL stores)


@dataclass(frozen=True)
class ChampionMove:
    """One move of ``name@champion``, kept as a registered-model tag
    ``champion.move.<UTC time, microseconds>.<random hex>`` (a version's ``promotion`` tag
    says why that version was or was not promoted last; the moves keep the order and the
    earlier champions, which that tag alone loses). The key is unique per move: a running
    number (``champion.move.00011``) read and written by two processes promoting at once
    gave both the same key, and one move was lost (a review: 10 of 11 recorded); MLflow tags
    have no compare-and-set.

    Attributes:
        seq: 1 for the oldest recorded move, then 2, 3... (by the keys' times)
        at: UTC time of the move (ISO 8601).
        previous: champion version before the move (None for the first).
        version: version that became champion.
        by: ``"training"`` (won a comparison) or ``"hand"`` (``brain promote``).
        reason: the recorded reason.
        user: who moved it: the user MLflow records on runs (``MLFLOW_TRACKING_USERNAME``,
            else the login name); '' for moves recorded before 2026-12-05 (two people
            promoting on one server could not be told apart).
    """

    seq: int
    at: str
    previous: str | None
    version: str
    by: str
    reason: str
    user: str = ""


def _user() -> str:
    """The user MLflow records on a run (``mlflow.user``): the tracking server's user name,
    else the login name."""
    import getpass

    try:
        from mlflow.utils.credentials import read_mlflow_creds

        name = read_mlflow_creds().username
    except Exception:  # an unreadable credentials file: the login name
        name = None
    if name:
        return str(name)
    try:
        return getpass.getuser()
    except (ImportError, KeyError, OSError):  # no login name (a container without a user)
        return "unknown"


def _record_move(client: MlflowClient, name: str, previous: str | None, version: str, by: str,
                 reason: str) -> None:
    try:
        now = datetime.now(UTC)
        key = f"{_MOVE_TAG}{now:%Y%m%dT%H%M%S%fZ}.{os.urandom(3).hex()}"
        value = json.dumps({"at": now.isoformat(timespec="seconds"),
                            "previous": None if previous is None else str(previous),
                            "version": str(version), "by": by, "user": _user(),
                            "reason": reason[:_MAX_REASON]})
        client.set_registered_model_tag(name, key, value)
    except MlflowException:  # the alias moved; a store refusing the record must not undo it
        _log.warning("%s: the champion move to v%s could not be recorded", name, version,
                     exc_info=True)


def champion_moves(name: str) -> list[ChampionMove]:
    """The recorded champion moves of registered model ``name``, oldest first (moves made
    outside brain, e.g. an alias set in the MLflow UI, are not in it)."""
    configure_mlflow()
    tags = MlflowClient().get_registered_model(name).tags
    out = []
    keys = sorted(k for k in tags if k.startswith(_MOVE_TAG))
    for seq, key in enumerate(keys, start=1):
        value = tags[key]
        try:
            rec = json.loads(value)
            if not isinstance(rec, dict):  # valid JSON, but not a move's record
                raise TypeError(type(rec).__name__)
            prev = rec.get("previous")
            out.append(ChampionMove(seq, str(rec["at"]), None if prev is None else str(prev),
                                    str(rec["version"]), str(rec.get("by", "")),
                                    str(rec.get("reason", "")), str(rec.get("user") or "")))
        except (ValueError, KeyError, TypeError):  # a tag edited by hand: shown as it is
            out.append(ChampionMove(seq, "", None, "?", "", value))
    return out


def set_champion(name: str, version: str | int, reason: str) -> None:
    """Point ``name@champion`` at ``version`` by hand (the explicit opt-in for a version that
    ``promote_if_better`` refused, e.g. one with suspected leakage), recording ``reason``."""
    configure_mlflow()
    client = MlflowClient()
    current = _champion(client, name)
    client.set_registered_model_alias(name, CHAMPION, str(version))
    client.set_model_version_tag(name, str(version), "promotion", f"promoted by hand: {reason}")
    _record_move(client, name, current.version if current else None, str(version), "hand",
                 reason)


def promote_if_better(
    name: str,
    version: str | int,
    metric: str,
    candidate_value: float,
    higher_is_better: bool,
    evaluation: str,
    rescore_champion: Callable[[str], float | Rescored] | None = None,
    *,
    rows_key: str | None = None,
    veto: str | None = None,
    tie_to_candidate_when_rescored: bool = False,
    tie_break: TieBreak | None = None,
    _moves_seen: int = 0,
) -> Promotion:
    """Move ``name@champion`` to ``version`` only if it beats the champion on ``evaluation``.

    Ties keep the current champion. The champion's recorded ``eval.<metric>`` is used when it
    was evaluated on the same ``evaluation``, or on the same rows (its ``eval.rows`` tag equals
    ``rows_key``: the same validation rows and labels under another label name or file name):
    both values are then honest validation results on identical data. A champion evaluated on
    other data is re-scored with ``rescore_champion(model_uri)`` when given; the callback may
    return ``(champion_value, candidate_value, note)`` to compare both on a subset (rows the
    champion never saw) or ``(None, candidate_value, note)`` when no fair comparison exists;
    it receives ``models:/<name>/<champion version>``. Without a callback the champion stays.
    ``veto`` (a sentence) keeps the candidate out whatever its metric.

    ``tie_to_candidate_when_rescored``: when the champion was re-scored by the callback, the
    candidate wins unless the champion is strictly better (a tie goes to the candidate, and
    the reason adds that the candidate, fitted on this data, becomes champion). For trainers
    whose candidate is a fresh fit on the evaluation's data while the champion was fitted on
    other data: of two equally good models, the one fitted on the current data is served.
    Comparisons on the champion's recorded values keep the plain rule.

    ``tie_break``: when ``metric`` ties within ``tie_break.rel_tol`` and both the candidate and
    the champion have a value of ``tie_break.metric`` on the same evaluation, and those differ,
    that metric decides (a strictly better value promotes, a worse one keeps the champion;
    not for a re-scored champion whose tie the caller keeps, ``tie_to_candidate_when_rescored``
    False). Otherwise (no such values, or equal ones) the rules above decide, and the reason
    says when the champion had no value to compare.

    Teammates sharing a tracking server train at the same time: when the alias moved while the
    candidate was compared (a re-scoring takes a backtest), the candidate is compared again with
    the new champion before the alias is set (two forecasters, each compared with v1 only, had
    both "become champion", the later one silently replacing the other). MLflow has no
    compare-and-set, so two decisions within the same few milliseconds can still cross.
    """
    configure_mlflow()
    client = MlflowClient()
    version = str(version)
    current = _champion(client, name)
    cand = float(candidate_value)

    def done(promoted: bool, prev: str | None, champ: float | None, reason: str) -> Promotion:
        if promoted:
            now = _champion(client, name)
            if (now.version if now else None) != prev and _moves_seen < 3:
                _log.info("%s@%s moved from v%s to v%s during the comparison; comparing again",
                          name, CHAMPION, prev, now.version if now else None)
                return promote_if_better(
                    name, version, metric, candidate_value, higher_is_better, evaluation,
                    rescore_champion, rows_key=rows_key, veto=veto,
                    tie_to_candidate_when_rescored=tie_to_candidate_when_rescored,
                    tie_break=tie_break, _moves_seen=_moves_seen + 1)
            if (now.version if now else None) != prev:
                reason = (f"not promoted: {name}@{CHAMPION} kept moving during the comparison "
                          f"(now v{now.version if now else None}); compare again by retraining, "
                          f"or brain promote {name} {version}")
                promoted = False
        if promoted:
            client.set_registered_model_alias(name, CHAMPION, version)
        client.set_model_version_tag(name, version, "promotion", reason)
        if promoted:
            _record_move(client, name, prev, version, "training", reason)
        _log.info("%s v%s: %s", name, version, reason)
        return Promotion(name, version, promoted, prev, metric, cand, champ, reason)

    if veto:
        return done(False, current.version if current else None, None,
                    f"not promoted: {veto}")
    if current is None:
        return done(True, None, None, f"no champion yet; v{version} becomes champion")
    if str(current.version) == version:  # MLflow 3 gives the alias's version as an int
        return done(False, version, cand, f"v{version} already is the champion")

    champ_value: float | None = None
    note = why = ""
    rescored = False
    champ_tie: float | None = None  # the champion's tie_break metric, when it has one
    same_rows = rows_key is not None and current.tags.get("eval.rows") == rows_key
    if (current.tags.get("eval.key") == evaluation or same_rows) and \
            f"eval.{metric}" in current.tags:
        champ_value = float(current.tags[f"eval.{metric}"])
        if current.tags.get("eval.key") != evaluation:
            note = " (same validation rows and labels: recorded validation values compared)"
        if tie_break is not None and f"eval.{tie_break.metric}" in current.tags:
            champ_tie = float(current.tags[f"eval.{tie_break.metric}"])
    elif rescore_champion is not None:
        rescored = True
        got = rescore_champion(f"models:/{name}/{current.version}")
        if isinstance(got, tuple):
            champ_value = None if got[0] is None else float(got[0])
            cand, note, why = float(got[1]), f" ({got[2]})" if got[2] else "", str(got[2] or "")
            if tie_break is not None and len(got) > 3:
                champ_tie = got[3].get(tie_break.metric)  # type: ignore[misc]
        else:
            champ_value = float(got)
        if champ_value is not None:
            # tag keys allow only letters, digits and _-. /: the evaluation key goes in the value
            tag = f"rescored.{hashlib.sha1(evaluation.encode()).hexdigest()[:12]}"
            client.set_model_version_tag(name, current.version, f"{tag}.{metric}",
                                         repr(champ_value))
            client.set_model_version_tag(name, current.version, f"{tag}.evaluation", evaluation)
            if tie_break is not None and champ_tie is not None:
                client.set_model_version_tag(name, current.version,
                                             f"{tag}.{tie_break.metric}", repr(champ_tie))
    if champ_value is None and why:
        # the rescorer's reason first, in words (a horizon mismatch had read "champion v1 was
        # evaluated on '<key>', not '<key>', and could not be re-scored (the champion
        # predicts a 90-day window ...)": `brain models` shows the start of the reason)
        return done(False, current.version, None,
                    f"not promoted: {why.rstrip('.')} (v{version} against champion "
                    f"v{current.version}, evaluated on "
                    f"{evaluation_words(current.tags.get('eval.key'))}; this version on "
                    f"{evaluation_words(evaluation)}); champion kept")
    if champ_value is None:
        return done(False, current.version, None,
                    f"champion v{current.version} was evaluated on "
                    f"{evaluation_words(current.tags.get('eval.key'))}, not "
                    f"{evaluation_words(evaluation)}, and could not be "
                    f"re-scored{note}; champion kept")
    # (a re-scored champion whose tie the caller keeps, tie_to_candidate_when_rescored False:
    # the candidate's fit is worse placed whatever the tie-break says, as for a plain tie)
    if tie_break is not None and tie_break.ties(cand, champ_value) and (
            not rescored or tie_to_candidate_when_rescored):
        mine, theirs = float(tie_break.candidate_value), champ_tie
        what = f" on {tie_break.what}" if tie_break.what else ""
        if theirs is not None and math.isfinite(mine) and math.isfinite(theirs) \
                and mine != theirs:
            won = mine > theirs if tie_break.higher_is_better else mine < theirs
            becomes = (f"; v{version}, fitted on this data, becomes champion"
                       if won and rescored and tie_to_candidate_when_rescored else "")
            return done(won, current.version, champ_value,
                        f"v{version} {tie_break.metric}={mine:.4g} "
                        f"{'beats' if won else 'does not beat'} champion v{current.version} "
                        f"{tie_break.metric}={theirs:.4g}{what}, which decides because "
                        f"{metric}={cand:.6g} ties the champion's {champ_value:.6g} (within "
                        f"{tie_break.rel_tol:g} of it) {_on_same(evaluation)}{note}{becomes}")
        if math.isfinite(mine) and (theirs is None or not math.isfinite(theirs)):
            # a champion registered before its trainer recorded the tie-break metric
            note += (f" (champion v{current.version} has no {tie_break.metric} recorded on "
                     f"this evaluation to break the tie; v{version}'s is {mine:.4g}{what})")
    elif tie_break is not None and not tie_break.ties(cand, champ_value) \
            and champ_tie is not None and math.isfinite(champ_tie) \
            and math.isfinite(tie_break.candidate_value):
        # said, not used: a candidate better on the starts but not tied on the first metric
        # (a planner may still promote it by hand, knowing what it costs)
        note += (f" ({tie_break.metric} {tie_break.candidate_value:.4g} against the "
                 f"champion's {champ_tie:.4g}{' on ' + tie_break.what if tie_break.what else ''}"
                 f": it decides only a tie on {metric})")
    better = cand > champ_value if higher_is_better else cand < champ_value
    word = "beats" if better else "does not beat"
    promoted, becomes = better, ""
    if tie_to_candidate_when_rescored and rescored:
        worse = cand < champ_value if higher_is_better else cand > champ_value
        promoted = not worse and not math.isnan(cand)  # a candidate without a score never wins
        if promoted and not better:
            word = "ties" if cand == champ_value else "is not beaten by"
        if promoted:
            becomes = f"; v{version}, fitted on this data, becomes champion"
    reason = (f"v{version} {metric}={cand:.6g} {word} champion v{current.version} "
              f"{metric}={champ_value:.6g} {_on_same(evaluation)}{note}{becomes}")
    return done(promoted, current.version, champ_value, reason)
