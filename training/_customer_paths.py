"""Fast per-customer reasons: decision-path (Saabas) contributions from LightGBM leaf indices.

Each split on a customer's path through a tree credits its feature with the change in node value
it causes (Saabas 2014). Per tree the credits sum to the leaf value minus the root value, so a
customer's credits plus ``bias`` (the sum of the root values) equal the raw score exactly, as
LightGBM's TreeSHAP values (``pred_contrib``) do. The order in which interacting features are
credited follows the tree instead of being averaged over orderings, which makes it about 10-20x
cheaper than TreeSHAP (O(trees x depth) per customer instead of O(trees x leaves x depth^2)).

Implementation: every (tree, leaf) pair is one row of a sparse table ``contrib`` (rows: all
leaves of all trees; columns: features; values: the credits of that leaf's path, splits on the
same feature merged). LightGBM returns each customer's leaf in every tree (``pred_leaf``, one
traversal in C++); the customer's one-hot leaf row times the table is the contribution vector,
and the one-hot row times the leaf values is the raw score, summed in tree order exactly as
LightGBM sums it, so the scores are bit-identical to ``Booster.predict(raw_score=True)``. Both
products run in scipy's compiled sparse code, block by block, so memory stays flat.

References:
    Saabas, A. (2014). Interpreting random forests. https://blog.datadive.net/interpreting-random-forests/
    Lundberg, S. M., Erion, G. G., Lee, S.-I. (2018). Consistent individualized feature
    attribution for tree ensembles. arXiv:1802.03888 (TreeSHAP, for comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
from scipy import sparse

__all__ = ["PATH_BLOCK", "PathTables", "leaf_outputs", "path_tables"]

PATH_BLOCK = 4_096
"""Rows per block: LightGBM's leaf indices of a block of a 600-tree model take ~20 MB as it
returns them (float64) and the one-hot product's working set stays near the caches (16,384 rows
had taken ~20% more CPU on a 518-tree model, 2026-12-06)."""


@dataclass(frozen=True)
class PathTables:
    """Decision-path credits of every leaf of a LightGBM model.

    Attributes:
        contrib: sparse ``(total leaves, n_features)`` matrix; row ``leaf_offset[t] + leaf``
            holds the credit of each feature split on the path from tree ``t``'s root to
            ``leaf`` (change in node value caused by the split, summed per feature).
        leaf_value: output of every leaf, same row order as ``contrib``.
        leaf_offset: first row of each tree in ``contrib`` (one entry per tree).
        bias: sum of the trees' root values (the raw score before any split).
    """

    contrib: sparse.csr_matrix
    leaf_value: np.ndarray
    leaf_offset: np.ndarray
    bias: float


def _node_value(node: dict) -> float:
    return float(node["leaf_value"] if "leaf_value" in node else node["internal_value"])


def path_tables(booster: lgb.Booster, n_features: int) -> PathTables:
    """Credits of every (tree, leaf) path of ``booster`` (the trees ``predict`` uses)."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    leaf_values: list[np.ndarray] = []
    offsets: list[int] = []
    bias, offset = 0.0, 0
    for tree in booster.dump_model()["tree_info"]:
        root = tree["tree_structure"]
        n_leaves = int(tree["num_leaves"])
        values = np.zeros(n_leaves)
        stack: list[tuple[dict, dict[int, float]]] = [(root, {})]
        while stack:
            node, credit = stack.pop()
            if "split_feature" not in node:  # a leaf (a one-leaf tree has no leaf_index)
                leaf = int(node.get("leaf_index", 0))
                values[leaf] = _node_value(node)
                for feat, dv in sorted(credit.items()):
                    rows.append(offset + leaf)
                    cols.append(feat)
                    vals.append(dv)
                continue
            feat = int(node["split_feature"])
            for child in (node["left_child"], node["right_child"]):
                step = dict(credit)
                step[feat] = step.get(feat, 0.0) + _node_value(child) - _node_value(node)
                stack.append((child, step))
        bias += _node_value(root)
        leaf_values.append(values)
        offsets.append(offset)
        offset += n_leaves
    contrib = sparse.csr_matrix((np.asarray(vals, dtype=np.float64), (rows, cols)),
                                shape=(offset, n_features))
    contrib.sum_duplicates()
    return PathTables(contrib=contrib,
                      leaf_value=np.concatenate(leaf_values) if leaf_values else np.zeros(0),
                      leaf_offset=np.asarray(offsets, dtype=np.int64), bias=bias)


def leaf_outputs(booster: lgb.Booster, x: np.ndarray, tables: PathTables, *,
                 contributions: bool = True, block: int = PATH_BLOCK
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw scores and (optionally) decision-path contributions of the rows of ``x``.

    Args:
        booster: the fitted booster ``tables`` was built from.
        x: ``(n, n_features)`` float matrix in the booster's feature order (categoricals as
            codes, missing as NaN).
        tables: ``path_tables(booster, n_features)``.
        contributions: also return the ``(n, n_features)`` contributions (without ``bias``).
        block: rows per block (memory: about ``block x trees x 12`` bytes).

    Returns:
        ``(raw, contrib)``: the raw score (log-odds for binary models, the link scale
        otherwise), identical to ``booster.predict(x, raw_score=True)``, and the contributions
        (each row sums to ``raw - tables.bias``) or None.
    """
    if block < 1:
        raise ValueError(f"leaf_outputs: block must be >= 1 row; received {block}")
    n, n_feat = len(x), tables.contrib.shape[1]
    raw = np.empty(n)
    # column-major: the reasons then work feature by feature on contiguous columns
    contrib = np.empty((n, n_feat), order="F") if contributions else None
    n_trees = len(tables.leaf_offset)
    offsets = tables.leaf_offset.astype(np.int32)
    for start in range(0, n, block):
        part = x[start:start + block]
        leaves = np.asarray(booster.predict(part, pred_leaf=True), dtype=np.int32)
        leaves = leaves.reshape(len(part), n_trees)
        # One-hot leaf matrix: row i has a 1 in column offset[t] + leaf of tree t, in tree order,
        # so the matrix-vector product sums the leaf values in LightGBM's order.
        idx = (leaves + offsets[None, :]).ravel()
        itype = np.int32 if idx.size < 2**31 else np.int64
        indptr = np.arange(0, idx.size + 1, n_trees, dtype=itype)
        onehot = sparse.csr_matrix((np.ones(idx.size), idx, indptr),
                                   shape=(len(part), tables.contrib.shape[0]), copy=False)
        raw[start:start + len(part)] = onehot @ tables.leaf_value
        if contrib is not None:
            contrib[start:start + len(part)] = (onehot @ tables.contrib).toarray()
    return raw, contrib
