/* Experiment view: upload unit-level rows, choose arms and metrics -> POST /experiments/analyze. */
"use strict";
const ExperimentView = (() => {
  const { el, api, num, pct } = Brain;
  const view = document.getElementById("view-experiment");
  const $ = (id) => document.getElementById(id);
  let table = null;        // {name, header, rows}
  let result = null;
  let guardrailsSupported = null;
  const isNum = (v) => v !== "" && Number.isFinite(Number(v));

  async function detectGuardrails() {
    if (guardrailsSupported !== null) return guardrailsSupported;
    try {
      const spec = await api("/docs.json");
      const schemas = Object.values((spec.components || {}).schemas || {});
      guardrailsSupported = schemas.some((sc) => sc.properties && sc.properties.variant_col && sc.properties.guardrails);
    } catch (_) { guardrailsSupported = false; }
    return guardrailsSupported;
  }

  async function upload(file) {
    Brain.clearError(view);
    $("ex-result").hidden = true;
    try {
      const parsed = Brain.parseCSV(await Brain.readFile(file), file.name);
      if (parsed.header.length < 2) {
        throw new Error(`${file.name}: found only the column ${parsed.header.join("")}; an experiment file needs an arm ` +
                        "column (e.g. variant) and at least one outcome column (e.g. converted).");
      }
      if (parsed.rows.length < 2) throw new Error(`${file.name}: needs at least two rows (one unit per row).`);
      table = { name: file.name, header: parsed.header, rows: parsed.rows };
      $("ex-file").textContent = `${file.name}: ${num(parsed.rows.length, 0)} rows, columns ${parsed.header.join(", ")}`;
      await setup();
    } catch (e) {
      table = null;
      $("ex-setup").hidden = true;
      Brain.showError(view, e.message);
    } finally {
      $("ex-upload").value = "";
    }
  }

  function distinct(col) { return [...new Set(table.rows.map((r) => r[col]))]; }
  function numericShare(col) {
    const sample = table.rows.slice(0, 2000);
    return sample.filter((r) => isNum(r[col])).length / sample.length;
  }

  async function setup() {
    const h = table.header;
    const armGuess = h.includes("variant") ? "variant"
      : h.find((c) => numericShare(c) < 0.5 && distinct(c).length <= 20) || h[0];
    $("ex-variant-col").replaceChildren(...h.map((c) => el("option", { value: c }, c)));
    $("ex-variant-col").value = armGuess;
    fillControl();
    await fillMetrics();
    $("ex-setup").hidden = false;
  }

  function fillControl() {
    const col = $("ex-variant-col").value;
    const arms = distinct(col).sort();
    const sel = $("ex-control");
    sel.replaceChildren(...arms.slice(0, 50).map((a) => el("option", { value: a }, a === "" ? "(empty)" : a)));
    sel.value = arms.includes("control") ? "control" : arms[0];
  }

  async function fillMetrics() {
    const armCol = $("ex-variant-col").value;
    const cols = table.header.filter((c) => c !== armCol && !/^(user_?id|id|unit_?id)$/i.test(c));
    const numeric = cols.filter((c) => numericShare(c) >= 0.5);
    const preferred = ["converted", "revenue"].filter((c) => numeric.includes(c));
    const ticked = new Set(preferred.length ? preferred : numeric.filter((c) => !/^pre_/.test(c)).slice(0, 2));
    const guards = await detectGuardrails();
    view.querySelectorAll("th.guard").forEach((th) => { th.hidden = !guards; });
    $("ex-guard-note").textContent = guards ? "" : "guardrail metrics: this server's /experiments/analyze does not accept them yet";
    $("ex-metrics").tBodies[0].replaceChildren(...(numeric.length ? numeric : cols).map((c) => {
      const tr = el("tr", { "data-col": c });
      const prim = el("input", { type: "checkbox", class: "primary-metric" });
      prim.checked = ticked.has(c);
      const guard = el("input", { type: "checkbox", class: "guard-metric" });
      const margin = el("input", { type: "number", class: "guard-margin", step: "0.5", min: "0", value: "2" });
      tr.append(el("td", {}, c, numeric.includes(c) ? "" : el("span", { class: "muted" }, " (not numeric)")),
                el("td", {}, prim));
      if (guards) tr.append(el("td", {}, guard), el("td", {}, margin, " %"));
      return tr;
    }));
  }

  function request() {
    const armCol = $("ex-variant-col").value;
    const metrics = [], guardrails = {};
    for (const tr of $("ex-metrics").tBodies[0].rows) {
      const c = tr.dataset.col;
      if (tr.querySelector(".primary-metric").checked) metrics.push(c);
      const g = tr.querySelector(".guard-metric");
      if (g && g.checked) guardrails[c] = Number(tr.querySelector(".guard-margin").value) / 100;
    }
    if (!metrics.length) throw new Error("Tick at least one primary metric to test.");
    const cols = [armCol, ...new Set([...metrics, ...Object.keys(guardrails)])];
    const rows = table.rows.map((r) => {
      const o = {};
      for (const c of cols) {
        const v = r[c];
        o[c] = c === armCol ? v : v === "" ? null : isNum(v) ? Number(v) : v;  // bad values: the API says which
      }
      return o;
    });
    const req = { rows, variant_col: armCol, control: $("ex-control").value, metrics,
                  alpha: Number($("ex-alpha").value), correction: $("ex-correction").value };
    if (Object.keys(guardrails).length) req.guardrails = guardrails;
    const split = $("ex-split").value.trim();
    if (split) {  // "control=70, treatment=30": weights for the sample-ratio check
      const shares = {};
      for (const part of split.split(",")) {
        const i = part.lastIndexOf("=");
        const arm = part.slice(0, i).trim(), share = Number(part.slice(i + 1));
        if (i < 1 || !arm || !(share > 0)) {
          throw new Error(`Designed split: "${part.trim()}" is not arm=share; write pairs ` +
                          "separated by commas, e.g. control=70, treatment=30 (or leave it blank for equal arms).");
        }
        shares[arm] = share;
      }
      req.expected_split = shares;
    }
    return req;
  }

  async function run() {
    Brain.clearError(view);
    if (!table) { Brain.showError(view, "Upload a CSV first."); return; }
    await Brain.busy($("ex-run"), async () => {
      try {
        result = await api("/experiments/analyze", request());
        render();
      } catch (e) {
        $("ex-result").hidden = true;
        Brain.showError(view, e.message);
      }
    });
  }

  function fmtFor(metric) {
    const m = result.metrics.find((x) => x.name === metric);
    return m && m.kind === "proportion" ? (v) => pct(v, 2) : (v) => num(v, Math.abs(v) >= 100 ? 1 : 3);
  }
  const signedPct = (v) => (v === null || v === undefined ? "–" : Brain.signed(pct(v, 1)));
  /* Guardrails are tested on their own (unadjusted p), outside the correction's family. */
  const isGuardrail = (c) => result.metrics.some((m) => m.name === c.metric && m.guardrail);

  function verdictFor(c) {
    const level = Math.round((1 - result.alpha) * 100);
    const f = fmtFor(c.metric);
    const hasRel = c.relative_effect !== null && c.relative_effect !== undefined;
    const eff = hasRel ? `${signedPct(c.relative_effect)} relative (${level}% CI ${signedPct(c.relative_ci_low)} to ${signedPct(c.relative_ci_high)})`
      : `${Brain.signed(f(c.absolute_effect))} (${level}% CI ${f(c.ci_low)} to ${f(c.ci_high)})`;
    const p = isGuardrail(c) ? `unadjusted p = ${num(c.p_value, 4)} (guardrail: outside the ${result.correction} correction)`
      : `adjusted p = ${num(c.p_value_adjusted, 4)}` + (result.correction !== "none" ? ` (${result.correction})` : "");
    let text, cls;
    if (c.significant) {
      const dir = c.absolute_effect > 0 ? "raised" : "lowered";
      cls = c.absolute_effect > 0 ? "up" : "down";
      text = `“${c.variant}” ${dir} ${c.metric} from ${f(c.control_mean)} to ${f(c.variant_mean)}: ${eff}, ${p}. ` +
             `The difference is statistically significant at the ${num(result.alpha * 100)}% level.`;
    } else {
      cls = "";
      text = `“${c.variant}” vs “${c.control}” on ${c.metric}: ${f(c.control_mean)} → ${f(c.variant_mean)}, ${eff}, ${p}. ` +
             "No detectable difference: the data are consistent with no effect" +
             (hasRel ? `, and the true effect is likely between ${signedPct(c.relative_ci_low)} and ${signedPct(c.relative_ci_high)}.` : ".");
    }
    return el("p", { class: "verdict " + cls }, text);
  }

  function render() {
    const r = result;
    $("ex-result").hidden = false;
    // SRM first and loud
    const srm = r.srm;
    const arms = el("table", {}, el("tr", {}, el("th", {}, "arm"), el("th", {}, "observed"), el("th", {}, "expected")),
      ...srm.arms.map((a) => el("tr", {}, el("td", {}, a.variant), el("td", {}, num(a.observed, 0)), el("td", {}, num(a.expected, 0)))));
    $("ex-srm").replaceChildren(srm.mismatch
      ? el("div", { class: "banner bad", id: "srm-banner", role: "alert" },
           el("h2", {}, "⚠ Sample ratio mismatch: do not trust these results"),
           el("div", {}, srm.message), el("div", {}, `chi-square ${num(srm.chi2, 2)}, p = ${srm.p_value.toExponential(2)}. ` +
             "Find the cause (assignment, logging, filtering) before reading any effect below."), arms)
      : el("div", { class: "banner good", id: "srm-banner" }, `✔ Sample ratio check passed (p = ${num(srm.p_value, 3)}): ` +
           srm.arms.map((a) => `${a.variant} ${num(a.observed, 0)}`).join(", ") + "."));
    const other = r.warnings.filter((w) => w !== srm.message);
    $("ex-warnings").replaceChildren(...(other.length ? [el("div", { class: "banner warn", role: "alert" },
      el("h2", {}, "⚠ Warnings"), el("ul", {}, ...other.map((w) => el("li", {}, w))))] : []));
    // verdicts
    const tested = r.comparisons.filter((c) => !isGuardrail(c));  // the family; guardrails have their own panel
    const sig = tested.filter((c) => c.significant);
    const failed = r.guardrails.filter((g) => g.status === "fail");
    let overall;
    if (srm.mismatch) overall = "Overall: the arms are not the sizes the design expects, so these effects are not trustworthy.";
    else if (failed.length) overall = `Overall: do not ship as is: ${failed.length} guardrail(s) failed (${failed.map((g) => g.metric).join(", ")}).`;
    else if (sig.length) overall = `Overall: ${sig.length} of ${tested.length} comparison(s) show a significant difference.`;
    else overall = `Overall: no significant difference on any of the ${tested.length} comparison(s).`;
    $("ex-verdict").replaceChildren(el("p", { class: "verdict" }, el("b", {}, overall)), ...r.comparisons.map(verdictFor));
    // interval plot
    const level = Math.round((1 - r.alpha) * 100);
    const useRel = r.comparisons.every((c) => c.relative_effect !== null && c.relative_effect !== undefined);
    $("ex-plot-note").textContent = `(${useRel ? "relative" : "absolute"} effect vs ${r.control}, ${level}% intervals; filled dot = significant)`;
    Charts.forest($("ex-plot"), r.comparisons.map((c) => ({
      label: `${c.metric} · ${c.variant}`,
      est: useRel ? c.relative_effect : c.absolute_effect, lo: useRel ? c.relative_ci_low : c.ci_low,
      hi: useRel ? c.relative_ci_high : c.ci_high, sig: c.significant,
      color: !c.significant ? "#667085" : c.absolute_effect > 0 ? "#2e7d32" : "#c62828" })),
      { fmt: useRel ? (v) => Brain.signed(pct(v, 1)) : (v) => num(v), axisLabel: useRel ? "relative effect" : "absolute effect" });
    // guardrails
    $("ex-guardrails").replaceChildren(...(r.guardrails.length ? [el("div", { class: "panel" }, el("h3", {}, "Guardrails"),
      ...r.guardrails.map((g) => el("p", {}, el("span", { class: "badge " + g.status }, g.status.toUpperCase()), " ", g.message)))] : []));
    // numbers
    $("ex-table").tBodies[0].replaceChildren(...r.comparisons.map((c) => {
      const f = fmtFor(c.metric);
      return el("tr", {}, el("td", {}, c.metric), el("td", {}, c.variant),
        el("td", { class: "num" }, f(c.control_mean)), el("td", { class: "num" }, f(c.variant_mean)),
        el("td", { class: "num" }, `${Brain.signed(f(c.absolute_effect))} [${f(c.ci_low)}, ${f(c.ci_high)}]`),
        el("td", { class: "num" }, `${signedPct(c.relative_effect)} [${signedPct(c.relative_ci_low)}, ${signedPct(c.relative_ci_high)}]`),
        el("td", { class: "num" }, num(c.p_value, 4)),
        el("td", { class: "num" }, isGuardrail(c) ? "– (guardrail)" : num(c.p_value_adjusted, 4)),
        el("td", {}, el("span", { class: "badge " + (c.significant ? "yes" : "no") }, c.significant ? "yes" : "no"),
           isGuardrail(c) ? el("span", { class: "muted" }, " (unadjusted p)") : null));
    }));
    $("ex-arms").textContent = `${num(r.n_units, 0)} units; ${r.test} test; ${r.correction} correction; alpha ${r.alpha}.`;
  }

  function download() {
    if (!result) return;
    Brain.downloadCSV("experiment-results.csv",
      ["metric", "variant", "control", "n_control", "n_variant", "control_mean", "variant_mean", "absolute_effect", "ci_low", "ci_high",
       "relative_effect", "relative_ci_low", "relative_ci_high", "p_value", "p_value_adjusted", "significant", "srm_p_value", "srm_mismatch",
       "guardrail"],
      result.comparisons.map((c) => [c.metric, c.variant, c.control, c.n_control, c.n_variant, c.control_mean, c.variant_mean,
        c.absolute_effect, c.ci_low, c.ci_high, c.relative_effect, c.relative_ci_low, c.relative_ci_high, c.p_value,
        isGuardrail(c) ? "" : c.p_value_adjusted, c.significant, result.srm.p_value, result.srm.mismatch, isGuardrail(c)]));
  }

  $("ex-upload").addEventListener("change", (e) => { if (e.target.files[0]) upload(e.target.files[0]); });
  $("ex-variant-col").addEventListener("change", () => { fillControl(); fillMetrics(); });
  $("ex-run").addEventListener("click", run);
  $("ex-download").addEventListener("click", download);
  return { show: () => {}, reset: () => { guardrailsSupported = null; } };
})();
