/* Forecast view: series + horizon + planned promotions -> POST /forecast_traffic. */
"use strict";
const ForecastView = (() => {
  const { el, api, page, num, day, signed } = Brain;
  const view = document.getElementById("view-forecast");
  const $ = (id) => document.getElementById(id);
  const FIELDS = ["name", "start", "end", "kind", "channel", "intensity"];
  let options = null;
  let last = null;   // {request, response, history, plan: the uploaded future values it was forecast with}
  let future = null; // {name, columns, rows}: uploaded values of the model's known-in-advance columns

  function addEventRow(ev) {
    const e = Object.assign({ name: "", start: "", end: "", kind: "promotion", channel: "", intensity: "" }, ev || {});
    const tr = el("tr");
    for (const f of FIELDS) {
      const input = el("input", { "data-field": f, value: e[f] === null || e[f] === undefined ? "" : String(e[f]) });
      if (f === "start" || f === "end") input.setAttribute("placeholder", "YYYY-MM-DD");
      if (f === "channel") input.setAttribute("placeholder", "all channels");
      tr.append(el("td", {}, input));
    }
    const rm = el("button", { type: "button", title: "remove this event" }, "✕");
    rm.addEventListener("click", () => tr.remove());
    tr.append(el("td", {}, rm));
    $("fc-events").tBodies[0].append(tr);
  }

  /* The events to send, and for each the table row it came from (blank rows are not sent). */
  function events() {
    const filled = [...$("fc-events").tBodies[0].rows].map((tr, i) => {
      const e = { row: i + 1 };
      tr.querySelectorAll("input").forEach((inp) => { e[inp.dataset.field] = inp.value.trim(); });
      return e;
    }).filter((e) => FIELDS.some((f) => f !== "kind" && f !== "intensity" && e[f]));
    const list = filled.map((e) => {
        const out = { name: e.name, start: e.start, end: e.end || e.start, kind: e.kind || "promotion" };
        if (e.channel) out.channel = e.channel;
        if (e.intensity !== "") {
          const n = Number(e.intensity);
          out.intensity = e.intensity !== "" && Number.isFinite(n) ? n : e.intensity;  // the API explains bad values
        }
        return out;
      });
    return { list, rows: filled.map((e) => ({ row: e.row, name: e.name })) };
  }

  /* The API numbers the events it received ("row 2"); say which row of the table that is. */
  function tableRows(message, sent) {
    // the message's own examples count from 0 ("first: calendar[3] '2026-13-40'"): the same
    // event, said as its row of the table too (it had read "row 5 ... calendar[3]")
    return message.split("\n").map((line) => (!/calendar/.test(line) ? line : line.replace(/\brow (\d+)\b/g, (m, n) => {
      const s = sent[Number(n) - 1];
      return s ? `row ${s.row} of the events table${s.name ? ` (“${s.name}”)` : ""}` : m;
    }).replace(/\bcalendar\[(\d+)\]/g, (m, i) => {
      const s = sent[Number(i)];
      return s ? `row ${s.row}` : m;
    }))).join("\n");
  }

  async function upload(file) {
    Brain.clearError(view);
    try {
      const { header, rows } = Brain.parseCSV(await Brain.readFile(file), file.name);
      const missing = ["name", "start", "end"].filter((c) => !header.includes(c));
      if (missing.length) {
        throw new Error(`${file.name}: column(s) ${missing.join(", ")} missing. A promotions file needs the columns ` +
                        `name,start,end,kind[,channel,intensity] (dates YYYY-MM-DD); received: ${header.join(", ")}.`);
      }
      const extra = header.filter((c) => !FIELDS.includes(c));
      if (extra.length) {
        throw new Error(`${file.name}: unknown column(s) ${extra.join(", ")}; allowed: ${FIELDS.join(", ")}.`);
      }
      rows.forEach((r, i) => {
        if (!r.name) throw new Error(`${file.name}: row ${i + 1} has no name; every event needs one.`);
        addEventRow(r);
      });
      $("fc-note").textContent = `added ${rows.length} event(s) from ${file.name}`;
    } catch (e) {
      Brain.showError(view, e.message);
    } finally {
      $("fc-upload").value = "";
    }
  }

  const unit = () => (options && options.freq === "h" ? "hours" : "days");
  /* A period as the planner reads it: the day, and on an hourly model its hour too (the day
     alone put 24 rows of one date in the forecast CSV and hid the peak hour). */
  const when = (iso) => (options && options.freq === "h" && iso ? String(iso).slice(0, 16).replace("T", " ") : day(iso));
  const maxHorizon = () => (options ? options.max_horizon : Number($("fc-horizon").max));

  function futureNeeded() {
    const cols = options.known_in_advance;
    return `This model (${options.model} v${options.version}) was trained with the known-in-advance column(s) ` +
      `${cols.join(", ")}, so every forecast needs their future values: upload a CSV with the columns ` +
      `series_id,ds,${cols.join(",")} and one row per ${unit() === "hours" ? "hour" : "day"} of the horizon ` +
      `for each series you forecast (a file of all ${options.series.length} series serves every one), ` +
      `from the period after ${day(options.last_ds)}. ` +
      "Outside the page: POST /forecast_traffic with 'future', or brain forecast predict --future FILE.";
  }

  async function run() {
    Brain.clearError(view);
    const raw = $("fc-horizon").value.trim();
    if (raw === "") {  // an empty (or non-numeric) box: Number("") would send 0
      Brain.showError(view, `Enter a horizon: the number of ${unit()} to forecast, a whole number from 1 to ${maxHorizon()}.`);
      return;
    }
    const needs = options && options.known_in_advance && options.known_in_advance.length;
    if (needs && !future) { Brain.showError(view, futureNeeded()); return; }
    const horizon = Number(raw);
    const cal = events();
    const req = { series_id: $("fc-series").value, horizon: Number.isInteger(horizon) ? horizon : raw,
                  calendar: cal.list };
    // only the chosen series' rows: the API needs no other series' plans (a 1,000-store file
    // had been sent whole with every forecast); a total answered by its channels reads theirs
    const reads = new Set([req.series_id, ...((options.plan_series || {})[req.series_id] || [])]);
    if (needs) req.future = future.rows.filter((r) => reads.has(String(r.series_id)));
    await Brain.busy($("fc-run"), async () => {
      try {
        const periods = Math.min(Math.max(2 * (Number(horizon) || 60), 60), 365);
        const [resp, hist] = await Promise.all([
          api("/forecast_traffic", req),
          page(`api/history?series_id=${encodeURIComponent(req.series_id)}&periods=${periods}`)
            .catch(() => ({ history: [] })),
        ]);
        last = { request: req, response: resp, history: hist.history || [], plan: needs ? future : null };
        render();
      } catch (e) {
        // the forecast shown was of another request (the events table has changed since):
        // it had stayed under the error, read as the forecast of the table above it
        last = null;
        $("fc-result").hidden = true;
        Brain.showError(view, e.status === 400 ? tableRows(e.message, cal.rows) : e.message);
      }
    });
  }

  function render() {
    const { response: r, history } = last;
    $("fc-result").hidden = false;
    const windows = r.peaks.filter((p) => p.window !== "horizon").map((p) => ({ name: p.window, start: p.start, end: p.end }));
    $("fc-title").textContent = `${r.series_id}: next ${r.horizon} ${options && options.freq === "h" ? "hours" : "days"} ` +
      `(model ${r.model} v${r.version})`;
    Charts.forecast($("fc-chart"), { history, forecast: r.forecast, windows, peaks: r.peaks,
                                     step: options && options.freq === "h" ? 3600000 : 86400000, when });
    const tb = $("fc-peaks").tBodies[0];
    tb.replaceChildren(...r.peaks.map((p) => el("tr", {},
      el("td", {}, p.window === "horizon" ? "whole horizon" : p.window),
      el("td", {}, `${day(p.start)} – ${day(p.end)}`),
      el("td", {}, when(p.peak_ds)),
      el("td", { class: "num" }, num(p.peak_p50)),
      el("td", { class: "num" }, `${num(p.peak_p10)} – ${num(p.peak_p90)}`),
      el("td", { class: "num" }, num(p.baseline_p50)),
      el("td", { class: "num" }, pct(p.lift_pct)),
      // the event's effect over its whole window (lift is one period's, at the peak): a
      // six-week holiday that takes 10% off its window had read +7.9% on a sale's first day
      el("td", { class: "num" }, num(p.window_p50)),
      // the total's own 80% interval (calibrated on the backtest's window totals; empty for
      // windows over 28 days and older models), not the days' P10s and P90s summed
      el("td", { class: "num" }, p.window_p10 == null || p.window_p90 == null ? ""
        : `${num(p.window_p10)} – ${num(p.window_p90)}`),
      el("td", { class: "num" }, num(p.window_baseline_p50)),
      el("td", { class: "num" }, pct(p.window_lift_pct)))));
    // what the CLI prints as "note:" lines: events that change nothing, intensities beyond the history, ...
    const notes = r.notes || [];
    $("fc-notes").hidden = !notes.length;
    $("fc-notes").replaceChildren(...(notes.length
      ? [el("h2", {}, "Notes on this forecast"), el("ul", {}, ...notes.map((n) => el("li", {}, String(n))))] : []));
    renderPlan();
  }

  /* What the uploaded plan buys (the answer's response_at_plan), and the scenario's choices;
     a comparison made for an earlier forecast is cleared. */
  function renderPlan() {
    const r = last.response;
    const builtFrom = (options && options.built_from) || {};
    const answered = !!r.response_at_plan && !!last.plan;
    const shown = answered &&
      Plan.table($("fc-plan-table"), $("fc-plan-unit"), r, builtFrom, `${r.horizon} ${unit()}`);
    // a series that responds to none of the columns (organic visits): the plan does not move it
    $("fc-plan").hidden = !answered;
    $("fc-plan-body").hidden = !shown;
    $("fc-plan-none").hidden = !answered || shown;
    $("fc-plan-none").textContent = answered && !shown ? `${r.series_id} has no response to the uploaded ` +
      `column(s) ${options.known_in_advance.join(", ")} (they never moved in its history): the plan does not ` +
      "move its forecast." : "";
    $("fc-scn-table").hidden = true;
    $("fc-scn-note").textContent = "";
    if (!shown) return;
    const sel = $("fc-scn-channel");
    const was = sel.value;
    sel.replaceChildren(...Plan.choices(r, builtFrom, last.plan.rows).map((c) => el("option", { value: c.value }, c.label)));
    if ([...sel.options].some((o) => o.value === was)) sel.value = was;
  }

  /* Forecast the shown request again with one channel's plan scaled; the forecast shown (and
     downloaded) stays the plan's. */
  async function scenario() {
    Brain.clearError(view);
    if (!last || !last.plan) return;
    const pct = Number($("fc-scn-pct").value);
    if ($("fc-scn-pct").value.trim() === "" || !Number.isFinite(pct) || pct < -100) {
      Brain.showError(view, "Enter the scenario's change as a percentage of the plan, -100 or more (20 for +20%).");
      return;
    }
    const sel = $("fc-scn-channel");
    const [column, channel] = sel.value.split("|");
    const label = sel.options[sel.selectedIndex].textContent;
    const plan = last;
    await Brain.busy($("fc-scn-run"), async () => {
      try {
        const future = Plan.scaled(plan.request.future, plan.plan.rows, (options && options.built_from) || {},
                                   column, channel, 1 + pct / 100);
        const answer = await api("/forecast_traffic", Object.assign({}, plan.request, { future }));
        if (last !== plan) return;  // another forecast came meanwhile: this one compares nothing shown
        Plan.compare($("fc-scn-table"), $("fc-scn-note"), plan.response, answer, column, channel, label,
                     `${signed(num(pct))}%`, `${plan.response.horizon} ${unit()}`);
      } catch (e) {
        Brain.showError(view, e.message);
      }
    });
  }

  async function uploadFuture(file) {
    Brain.clearError(view);
    try {
      if (!options) throw new Error("The forecaster's options are not loaded yet; press Forecast to retry.");
      const cols = options.known_in_advance || [];
      const { header, rows } = Brain.parseCSV(await Brain.readFile(file), file.name);
      const need = ["series_id", "ds", ...cols];
      const missing = need.filter((c) => !header.includes(c));
      if (missing.length) {
        throw new Error(`${file.name}: column(s) ${missing.join(", ")} missing. Future values need the columns ` +
                        `${need.join(",")} (one row per series and period of the horizon); received: ${header.join(", ")}.`);
      }
      const toValue = (v) => (v === "" ? null : Number.isFinite(Number(v)) ? Number(v) : v);  // the API explains bad values
      future = { name: file.name, columns: cols.join(","), rows: rows.map((r) => {
        const o = { series_id: r.series_id, ds: r.ds };
        for (const c of cols) o[c] = toValue(r[c]);
        return o;
      }) };
      const dates = rows.map((r) => r.ds).sort();
      $("fc-future-note").classList.remove("todo");
      $("fc-future-note").textContent = `${file.name}: ${num(rows.length, 0)} rows, ` +
        `${new Set(rows.map((r) => r.series_id)).size} series, ${dates[0]} to ${dates[dates.length - 1]}; sent with every forecast.`;
    } catch (e) {
      Brain.showError(view, e.message);
    } finally {
      $("fc-future-upload").value = "";
    }
  }

  /* The numbers of ``rows``' columns ``cols`` as `brain forecast predict` writes its CSV files
     (``_csv_ready``): 6 significant digits of the column's largest value, at most 8 decimals,
     never -0 (the page had written the API's P50 with 13 decimals, 765.0663115876007, beside
     whole P10 and P90). */
  function pct(v) {
    return v === null || v === undefined ? "–" : Brain.signed(num(v, 1)) + "%";
  }

  function rounded(rows, cols) {
    for (const c of cols) {
      const top = Math.max(0, ...rows.map((r) => (Number.isFinite(r[c]) ? Math.abs(r[c]) : 0)));
      const places = top > 0 ? Math.min(8, Math.max(0, 6 - Math.ceil(Math.log10(top)))) : 2;
      for (const r of rows) if (Number.isFinite(r[c])) r[c] = Number(r[c].toFixed(places)) + 0;
    }
    return rows;
  }

  function download() {
    if (!last) return;
    const r = last.response;
    const windows = r.peaks.filter((p) => p.window !== "horizon");
    const rows = rounded(r.forecast.map((f) => [when(f.ds), f.p10, f.p50, f.p90,
      windows.filter((w) => day(w.start) <= day(f.ds) && day(f.ds) <= day(w.end)).map((w) => w.window).join("; ")]), [1, 2, 3]);
    Brain.downloadCSV(`forecast-${r.series_id.replace(/[^A-Za-z0-9_-]+/g, "_")}-${r.horizon}.csv`,
                      ["ds", "p10", "p50", "p90", "events"], rows);
  }
  function downloadPeaks() {
    if (!last) return;
    const r = last.response;
    Brain.downloadCSV(`peaks-${r.series_id.replace(/[^A-Za-z0-9_-]+/g, "_")}.csv`,
      ["window", "start", "end", "peak_ds", "peak_p10", "peak_p50", "peak_p90", "baseline_p50", "lift_pct",
       "window_p10", "window_p50", "window_p90", "window_baseline_p50", "window_lift_pct"],
      rounded(r.peaks.map((p) => [p.window, day(p.start), day(p.end), when(p.peak_ds), p.peak_p10, p.peak_p50, p.peak_p90,
                                  p.baseline_p50, p.lift_pct, p.window_p10, p.window_p50, p.window_p90,
                                  p.window_baseline_p50, p.window_lift_pct]), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
  }

  async function load() {
    try {
      options = await page("api/forecast_options");
      const sel = $("fc-series");
      sel.replaceChildren(...options.series.map((sid) => el("option", { value: sid }, sid)));
      sel.value = options.default_series;
      $("fc-horizon").max = options.max_horizon;
      $("fc-horizon-label").textContent = `Horizon (${unit()})`;
      $("fc-peak-col").textContent = options.freq === "h" ? "peak hour" : "peak day";
      const cols = options.known_in_advance || [];
      if (future && future.columns !== cols.join(",")) future = null;  // another model: other columns
      $("fc-future").hidden = !cols.length;
      $("fc-future-cols").textContent = cols.length ? `(known-in-advance: ${cols.join(", ")})` : "";
      if (cols.length && !future) $("fc-future-note").textContent = futureNeeded();
      $("fc-future-note").classList.toggle("todo", !!cols.length && !future);  // what to do: not greyed out
      const known = options.known_events.map((e) => `${e.name} (${day(e.start)})`);
      $("fc-note").textContent = `history ends ${when(options.last_ds)}; the forecast starts the next period.` +
        (known.length ? ` Already in the model's calendar: ${known.slice(0, 4).join(", ")}${known.length > 4 ? " …" : ""}.` : "");
      return true;
    } catch (e) {
      options = null;
      Brain.showError(view, e.message);
      return false;
    }
  }

  let started = false;
  async function show() {
    if (started && options) return;
    started = true;
    if (!$("fc-events").tBodies[0].rows.length) addEventRow();
    if (await load()) {
      if (options.known_in_advance && options.known_in_advance.length && !future) return;  // the note says what to upload
      await run();
    }
  }

  $("fc-add").addEventListener("click", () => addEventRow());
  $("fc-upload").addEventListener("change", (e) => { if (e.target.files[0]) upload(e.target.files[0]); });
  $("fc-run").addEventListener("click", async () => { if (!options && !(await load())) return; run(); });
  $("fc-future-upload").addEventListener("change", (e) => { if (e.target.files[0]) uploadFuture(e.target.files[0]); });
  $("fc-download").addEventListener("click", download);
  $("fc-download-peaks").addEventListener("click", downloadPeaks);
  $("fc-scn-run").addEventListener("click", scenario);
  return { show, reset: () => { started = false; } };
})();
