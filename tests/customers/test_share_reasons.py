"""Shares read as percentages in reasons ("share of visits via email is slightly high (88% vs
typical 86%)"), within one point of the typical share at the typical level; a customer table's
own column only when the model knows it is a share (its name says so and every training value
lies in [0, 1])."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training._customer_mlflow import score_frame
from training._customer_models import CustomerModel
from training._customer_reasons import percent_features, reasons_from_array

PIPELINE = ("ch_share_email", "cat_share_Drinks", "purchase_cat_share_Drinks",
            "night_visit_share", "recency_share", "recent_revenue_share", "promo_order_share")


def test_mix_shares_read_as_percentages_and_a_point_off_typical_is_typical() -> None:
    """'share of visits via email is slightly high (0.88 vs typical 0.86)' had read as a
    fraction (the refund share alone read as a percentage)."""
    cols = ["ch_share_email", "orders_total"]
    feats = pd.DataFrame({"ch_share_email": [0.88, 0.865, 0.5, 0.865],
                          "orders_total": [5.0, 5.0, 5.0, 5.0]})
    typical = {"ch_share_email": 0.86, "orders_total": 2.0}
    contrib = np.array([[0.5, 0.1], [0.5, 0.1], [0.5, 0.1], [0.5, -0.1]])
    got = reasons_from_array(contrib, cols, feats, typical, top=2,
                             directions={"orders_total": 1}, percent=PIPELINE)
    assert got.iloc[0, 0] == "share of visits via email is slightly high (88% vs typical 86%)"
    # half a point off: at the typical level, ranked after the order count
    assert got.iloc[1].tolist() == ["number of orders is high (5 vs typical 2)",
                                    "share of visits via email is at the typical level (86%)"]
    assert got.iloc[2, 0] == "share of visits via email is low (50% vs typical 86%)"
    assert got.iloc[3, 0] == "share of visits via email is at the typical level (86%)"


def test_a_share_ranks_as_its_sentence_reads_it() -> None:
    """0.8696 against a typical 0.86 had ranked as at the typical level (raw values within a
    point) while its sentence, of the value rounded to 3 places, read 'slightly high (87% vs
    typical 86%)': ranked after the order count, it took the second place as an informative
    sentence that had been ranked as uninformative."""
    cols = ["ch_share_email", "orders_total"]
    feats = pd.DataFrame({"ch_share_email": [0.8696], "orders_total": [5.0]})
    typical = {"ch_share_email": 0.86, "orders_total": 2.0}
    got = reasons_from_array(np.array([[0.5, 0.1]]), cols, feats, typical, top=2,
                             directions={"orders_total": 1}, percent=PIPELINE)
    assert got.iloc[0].tolist() == [
        "share of visits via email is slightly high (87% vs typical 86%)",
        "number of orders is high (5 vs typical 2)"]


def test_an_empty_share_keeps_its_meaning_and_rates_keep_their_numbers() -> None:
    cols = ["purchase_cat_share_Drinks", "conversion_rate"]
    feats = pd.DataFrame({"purchase_cat_share_Drinks": [np.nan, 0.04],
                          "conversion_rate": [0.3, 0.3]})
    typical = {"purchase_cat_share_Drinks": 0.12, "conversion_rate": 0.05}
    got = reasons_from_array(np.array([[0.5, 0.1], [0.5, 0.1]]), cols, feats, typical, top=2,
                             percent=percent_features(feats.fillna(0.5), cols))
    assert got.iloc[0].tolist() == ["has never ordered", "orders per visit is high (0.3 vs "
                                                         "typical 0.05)"]
    assert got.iloc[1, 0] == "share of orders in Drinks is low (4.0% vs typical 12%)"


def test_percent_features_are_the_pipeline_shares_and_named_table_shares_in_unit_range() -> None:
    rng = np.random.default_rng(0)
    u = rng.random(200)
    x = pd.DataFrame({
        **dict.fromkeys(PIPELINE, u),
        "conversion_rate": u, "refund_rate": u, "order_rate_30d": u,  # pipeline rates
        "return_rate": u, "DiscountPct": u, "basket_share": u,  # a table's shares
        "discount_pct": 100 * u,  # percentages already
        "satisfaction": u,  # in [0, 1], but the name does not say share
        "churned_rate": (u < 0.5).astype(float),  # a flag
        "spend_share": np.append(u[:-1], 1.2),  # one value above 1
    })
    got = percent_features(x, list(x.columns))
    assert set(got) == {*PIPELINE, "return_rate", "DiscountPct", "basket_share"}


def test_a_table_models_share_reads_as_a_percentage_and_its_other_columns_do_not() -> None:
    """A CRM table's columns keep their numbers unless the model recorded them as shares at fit:
    'return_rate' (0-1, named a rate) reads '31% vs typical 9.8%', 'satisfaction' (0-1, not
    named a share) '0.31 vs typical 0.5'. A model saved before the record reads as it did."""
    rng = np.random.default_rng(5)
    n = 3_000
    ret = rng.beta(1, 8, n)
    sat = rng.random(n)
    logit = -1.0 + 8.0 * ret - 2.0 * sat
    table = pd.DataFrame({"user_id": [f"c{i}" for i in range(n)], "return_rate": ret,
                          "satisfaction": sat,
                          "label_churn": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)})
    model = CustomerModel("churn", n_estimators=100).fit(table)
    assert model.percent_ == ("return_rate",)
    out = score_frame(model, table.drop(columns="label_churn"), reason_method="path")
    text = out.filter(like="reason_").stack().astype(str)
    rate = text[text.str.startswith("return rate is")]
    assert len(rate)
    assert rate.str.contains(r"%\)$").all()
    sat_text = text[text.str.startswith("satisfaction is")]
    assert len(sat_text)
    assert not sat_text.str.contains("%").any()
    del model.percent_  # as a model pickled before it existed
    old = score_frame(model, table.drop(columns="label_churn"), reason_method="path")
    old_text = old.filter(like="reason_").stack().astype(str)
    assert not old_text[old_text.str.startswith("return rate is")].str.contains("%").any()


def test_visit_time_shares_have_names_that_say_what_they_share() -> None:
    from training._customer_meanings import reason_label

    assert reason_label("promo_visit_share") == "share of visits on promotion days"
    assert reason_label("night_visit_share") == "share of visits at night (0-6h)"
