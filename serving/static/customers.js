/* Customers view: snapshot-wide score distributions, segments and the top at-risk users. */
"use strict";
const CustomersView = (() => {
  const { el, page, num, pct } = Brain;
  const view = document.getElementById("view-customers");
  const $ = (id) => document.getElementById(id);
  let data = null;
  let latest = 0;  // sequence number of the newest request: an older answer never replaces it

  function card(k, v) { return el("div", { class: "card" }, el("div", { class: "v" }, v), el("div", { class: "k" }, k)); }
  function tiers(t) {
    const order = ["high", "medium", "low"];
    const keys = Object.keys(t || {}).sort((a, b) => (order.indexOf(a) + 9) % 12 - (order.indexOf(b) + 9) % 12);
    return keys.length ? el("span", {}, "tiers: ", ...keys.flatMap((k) => [el("span", { class: "badge " + k }, `${k} ${num(t[k], 0)}`), " "])) : "";
  }

  async function load() {
    Brain.clearError(view);
    $("cu-note").textContent = "scoring the snapshot …";
    const seq = ++latest;
    try {
      const answer = await page(`api/customers_summary?top=${$("cu-top").value}&sort=${$("cu-sort").value}`);
      if (seq !== latest) return;  // the user changed sort or top meanwhile: a newer answer is coming
      data = answer;
      render();
      const mv = Object.entries(data.models).map(([k, m]) => `${k}: ${m.name} v${m.version}`).join(" · ");
      $("cu-note").textContent = `snapshot as of ${data.snapshot_cutoff}; ${mv}`;
    } catch (e) {
      if (seq !== latest) return;
      $("cu-note").textContent = "";
      Brain.showError(view, e.message);
    }
  }

  // an early-warning flag: yes (a badge), no, or – where the rule cannot tell
  function flagCell(v) { return el("td", {}, v === true ? el("span", { class: "badge fail" }, "yes") : v === false ? "no" : "–"); }

  function render() {
    const d = data.distributions;
    $("cu-result").hidden = false;
    const highShare = d.churn && d.churn.tiers.high ? d.churn.tiers.high / data.users : null;
    $("cu-cards").replaceChildren(
      card("users in the snapshot", num(data.users, 0)),
      card("as of", data.snapshot_cutoff),
      card("mean churn risk", d.churn ? pct(d.churn.mean) : "–"),
      card("in the high churn tier", highShare === null ? "–" : pct(highShare)),
      card("mean purchase propensity", d.propensity ? pct(d.propensity.mean) : "–"),
      card("total predicted value", d.value ? num(d.value.total, 0) : "–"));
    const spec = { churn: ["#c62828", (v) => pct(v, 0)], propensity: ["#2e7d32", (v) => pct(v, 0)],
                   value: ["#2f6fde", (v) => num(v, v >= 10 ? 0 : 1)] };
    for (const k of ["churn", "propensity", "value"]) {
      const box = $("cu-hist-" + k);
      if (!d[k]) {
        box.replaceChildren(el("p", { class: "muted" }, `no ${k} model loaded: ${data.missing[k] || ""}`));
        $("cu-tiers-" + k).replaceChildren();
        continue;
      }
      Charts.histogram(box, { edges: d[k].edges, counts: d[k].counts, color: spec[k][0], fmt: spec[k][1], mean: d[k].mean });
      $("cu-tiers-" + k).replaceChildren(tiers(d[k].tiers), k === "value" ? el("div", {}, "values above the 99th percentile are counted in the last bin") : "");
    }
    Charts.bars($("cu-seg-chart"), data.segments.map((s) => ({ label: s.segment, value: s.users, note: `(${pct(s.share, 0)})` })),
                { color: "#6c4ed8", fmt: (v) => num(v, 0) });
    $("cu-segments").tBodies[0].replaceChildren(...data.segments.map((s) => el("tr", {},
      el("td", {}, s.segment), el("td", { class: "num" }, num(s.users, 0)), el("td", { class: "num" }, pct(s.share)),
      el("td", { class: "num" }, pct(s.mean_churn)), el("td", { class: "num" }, pct(s.mean_propensity)),
      el("td", { class: "num" }, num(s.mean_value)))));
    $("cu-atrisk-title").textContent = `Top ${data.at_risk.length} at-risk users, by ` +
      (data.sort === "churn" ? "churn probability" : "value at risk (churn probability × predicted value)");
    $("cu-atrisk").tBodies[0].replaceChildren(...data.at_risk.map((u, i) => el("tr", {},
      el("td", { class: "num" }, i + 1), el("td", {}, u.user_id), el("td", {}, u.segment),
      el("td", { class: "num" }, pct(u.churn)), el("td", {}, el("span", { class: "badge " + u.churn_tier }, u.churn_tier)),
      el("td", { class: "num" }, pct(u.propensity)), el("td", { class: "num" }, num(u.value)),
      el("td", { class: "num" }, num(u.value_at_risk)),
      flagCell(u.early_warning), flagCell(u.early_warning_spend),
      el("td", {}, el("ul", {}, ...(u.reasons || []).map((r) => el("li", {}, r)))))));
  }

  function downloadTop() {
    if (!data) return;
    Brain.downloadCSV(`at-risk-top${data.at_risk.length}-${data.snapshot_cutoff}.csv`,
      ["rank", "user_id", "segment", "churn", "churn_tier", "propensity", "value", "value_at_risk", "early_warning", "early_warning_spend", "reasons"],
      data.at_risk.map((u, i) => [i + 1, u.user_id, u.segment, u.churn, u.churn_tier, u.propensity, u.value, u.value_at_risk, u.early_warning, u.early_warning_spend, u.reasons]));
  }
  async function downloadAll() {
    Brain.clearError(view);
    try { await Brain.busy($("cu-download-all"), () => Brain.downloadFrom("api/customers.csv", `customers-${data ? data.snapshot_cutoff : "all"}.csv`)); }
    catch (e) { Brain.showError(view, e.message); }
  }

  let started = false;
  async function show() { if (!started || !data) { started = true; await load(); } }
  $("cu-refresh").addEventListener("click", () => Brain.busy($("cu-refresh"), load));
  $("cu-sort").addEventListener("change", load);
  $("cu-top").addEventListener("change", load);
  $("cu-download-top").addEventListener("click", downloadTop);
  $("cu-download-all").addEventListener("click", downloadAll);
  return { show, reset: () => { started = false; } };
})();
