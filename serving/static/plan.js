/* What a plan buys: the forecast answer's response_at_plan as a table, and a scenario that
   scales one channel's uploaded plan (its rows and the rows of the totals that sum it). */
"use strict";
const Plan = (() => {
  const { el, num, signed } = Brain;

  /* What the series counts: an orders or revenue series says so in its id, the rest are visits. */
  const noun = (sid) => { const m = /^(orders|revenue):/.exec(String(sid)); return m ? m[1] : "visits"; };
  /* A round step near a tenth of the planned sum (10,000 for a plan of 150,000), at least 1. */
  const step = (planned) => (planned > 0 ? Math.max(1, 10 ** Math.round(Math.log10(planned / 10))) : 1);
  const finite = (v) => v !== null && v !== undefined && Number.isFinite(v);

  /* The channel one series' column summed, when it is exactly one (channel=email -> email). */
  function ownChannel(builtFrom, column, sid) {
    const chans = builtFrom && builtFrom[column] ? builtFrom[column][sid] : null;
    return chans && chans.length === 1 ? chans[0] : null;
  }

  /* Table rows of an answer's response_at_plan: a total answered by its channels gives one row
     per channel and one for them all; any other series one row per column. */
  function rows(answer, builtFrom) {
    const out = [];
    for (const [column, r] of Object.entries(answer.response_at_plan || {})) {
      if (r.channels) {
        for (const [ch, c] of Object.entries(r.channels)) {
          out.push({ label: ch, channel: ch, column, planned: c.planned_sum, elasticity: c.elasticity,
                     perUnit: c.d_p50_sum_per_unit });
        }
        out.push({ label: "all channels", channel: null, spread: true, column, planned: r.planned_sum,
                   elasticity: null, perUnit: r.d_p50_sum_per_unit });
      } else {
        const ch = ownChannel(builtFrom, column, answer.series_id);
        out.push({ label: ch || answer.series_id, channel: ch, column, planned: r.planned_sum,
                   elasticity: r.elasticity, perUnit: r.d_p50_sum_per_unit });
      }
    }
    return out;
  }

  /* One line a planner reads: what a round extra amount of the column adds over the horizon. */
  function reading(row, what, span) {
    if (!finite(row.perUnit)) {
      return `no slope at a plan of 0 (a paused ${row.channel || "column"}'s first unit is a jump): ` +
        "compare two plans with the scenario below";
    }
    const s = step(row.planned);
    const where = row.channel ? ` on ${row.channel}` : row.spread ? " spread over the channels as planned"
      : ` for ${row.label}`;
    const adds = row.perUnit * s;
    return `+${num(s)} of ${row.column}${where} over the ${span} ${adds < 0 ? "takes" : "adds"} about ` +
      `${num(Math.abs(adds))} ${what}`;
  }

  /* Fill the table ``table`` from ``answer``; ``span``: "28 days". False when there is nothing. */
  function table(tableEl, unitEl, answer, builtFrom, span) {
    const list = rows(answer, builtFrom);
    const what = noun(answer.series_id);
    unitEl.textContent = `${what} per extra unit`;
    tableEl.tBodies[0].replaceChildren(...list.map((r) => el("tr", {},
      el("td", {}, r.label),
      el("td", {}, r.column),
      el("td", { class: "num" }, num(r.planned)),
      el("td", { class: "num" }, finite(r.elasticity) ? num(r.elasticity, 2) : "–"),
      el("td", { class: "num" }, num(r.perUnit)),
      el("td", {}, reading(r, what, span)))));
    return list.length > 0;
  }

  /* The scenario's choices: each channel of the answer's columns whose rows the page can scale,
     and the column's whole plan ("column|*"). Values are "column|channel". */
  function choices(answer, builtFrom, uploaded) {
    const out = [];
    const sids = new Set(uploaded.map((r) => String(r.series_id)));
    for (const [column, r] of Object.entries(answer.response_at_plan || {})) {
      const bf = (builtFrom || {})[column];
      const chans = r.channels ? Object.keys(r.channels) : bf && bf[answer.series_id] ? bf[answer.series_id] : [];
      // a channel can be scaled when a series of that channel alone has rows in the upload
      const usable = chans.filter((c) => bf && Object.entries(bf).some(
        ([s, cs]) => cs.length === 1 && cs[0] === c && sids.has(s)));
      for (const c of usable) out.push({ value: `${column}|${c}`, label: c });
      if (!(usable.length === 1 && chans.length === 1)) {
        out.push({ value: `${column}|*`, label: `all of ${answer.series_id}'s ${column}` });
      }
    }
    return out;
  }

  /* ``sent`` (the rows the forecast sent) with channel ``channel``'s part of ``column`` times
     ``factor``: that channel's own series scaled, and each series whose column sums it (a total)
     moved by the same amount, read from the channel's own rows in ``uploaded`` on that day;
     ``channel`` "*" scales every row's column. */
  function scaled(sent, uploaded, builtFrom, column, channel, factor) {
    if (channel === "*") {
      return sent.map((r) => Object.assign({}, r, finite(r[column]) ? { [column]: r[column] * factor } : {}));
    }
    const bf = (builtFrom || {})[column] || {};
    const own = Object.keys(bf).filter((s) => bf[s].length === 1 && bf[s][0] === channel);
    const byDay = new Map();
    for (const r of uploaded) {
      if (own.includes(String(r.series_id)) && !byDay.has(r.ds)) byDay.set(r.ds, r[column]);
    }
    return sent.map((r) => {
      const chans = bf[String(r.series_id)] || [];
      if (!chans.includes(channel) || !finite(r[column])) return Object.assign({}, r);
      if (chans.length === 1) return Object.assign({}, r, { [column]: r[column] * factor });
      const part = byDay.get(r.ds);
      if (!finite(part)) {
        throw new Error(`The uploaded plan has no ${column} of ${channel} on ${r.ds} (a row of ` +
                        `${own.join(" or ")}) to tell its part of ${r.series_id}'s; add it, or scale all of ` +
                        `${r.series_id}'s ${column}.`);
      }
      return Object.assign({}, r, { [column]: r[column] + (factor - 1) * part });
    });
  }

  /* The planned sum of ``column`` for ``channel`` ("*": the column's) in an answer. */
  function plannedOf(answer, column, channel) {
    const r = (answer.response_at_plan || {})[column];
    if (!r) return null;
    if (channel !== "*" && r.channels && r.channels[channel]) return r.channels[channel].planned_sum;
    return r.planned_sum;
  }

  const p50Sum = (answer) => answer.forecast.reduce((s, f) => s + f.p50, 0);

  /* The comparison table: the plan as uploaded, the scenario and their difference. */
  function compare(tableEl, noteEl, plan, scenario, column, channel, label, pctText, span) {
    const what = noun(plan.series_id);
    const [a, b] = [p50Sum(plan), p50Sum(scenario)];
    const [sa, sb] = [plannedOf(plan, column, channel), plannedOf(scenario, column, channel)];
    const diff = (x, y) => (finite(x) && finite(y) ? signed(num(y - x)) : "–");
    const share = a !== 0 ? ` (${signed(num((100 * (b - a)) / a, 1))}%)` : "";
    tableEl.tHead.rows[0].cells[1].textContent = `${column} of ${label} over the ${span}`;
    tableEl.tHead.rows[0].cells[2].textContent = `P50 ${what} of ${plan.series_id} over the ${span}`;
    tableEl.tBodies[0].replaceChildren(
      el("tr", {}, el("td", {}, "plan as uploaded (the forecast shown)"), el("td", { class: "num" }, num(sa)),
         el("td", { class: "num" }, num(a))),
      el("tr", {}, el("td", {}, `scenario: ${label} ${pctText}`), el("td", { class: "num" }, num(sb)),
         el("td", { class: "num" }, num(b))),
      el("tr", {}, el("td", {}, "difference"), el("td", { class: "num" }, diff(sa, sb)),
         el("td", { class: "num" }, diff(a, b) + share)));
    tableEl.hidden = false;
    const r = (plan.response_at_plan || {})[column];
    const slope = channel !== "*" && r && r.channels && r.channels[channel] ? r.channels[channel].d_p50_sum_per_unit
      : r ? r.d_p50_sum_per_unit : null;
    noteEl.textContent = (finite(slope) && finite(sa) && finite(sb)
      ? `At the plan's slope (${num(slope)} ${what} per unit), ${signed(num(sb - sa))} of ${column} moves the P50 ` +
        `sum by about ${signed(num(slope * (sb - sa)))}; the difference above is the model's forecast at both plans. `
      : "") + "The chart, the peaks and the downloads are of the plan as uploaded.";
  }

  return { rows, table, choices, scaled, compare, p50Sum };
})();
