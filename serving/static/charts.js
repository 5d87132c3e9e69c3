/* Small inline-SVG charts drawn by hand: forecast band, histogram, bars, interval (forest) plot. */
"use strict";
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(w, h) { return s("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img" }); }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const raw = (hi - lo) / Math.max(n, 1);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
    return out;
  }
  const short = (v) => {
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
    if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
    return Brain.num(v);
  };
  const DAY = 86400000;
  const t = (iso) => new Date(String(iso).slice(0, 19) + "Z").getTime();
  const fmtDay = (ms) => new Date(ms).toISOString().slice(0, 10);
  const fmtMonthDay = (ms) => new Date(ms).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });

  /* Forecast: history line, P10-P90 band, P50 line, shaded event windows, peak call-outs. */
  function forecast(container, { history, forecast, windows, peaks, step, when }) {
    const at = when || Brain.day;  // a period's label: with its hour on hourly charts
    const W = Math.max(container.clientWidth || 900, 640), H = 380;
    const m = { l: 56, r: 18, t: 34, b: 42 };
    const root = svg(W, H);
    const xs = forecast.map((r) => t(r.ds)).concat(history.map((r) => t(r.ds)));
    const stepMs = step || DAY;
    const x0 = Math.min(...xs), x1 = Math.max(...xs) + stepMs;
    const yMax = Math.max(1, ...forecast.map((r) => r.p90 || 0), ...history.map((r) => r.y || 0)) * 1.12;
    const X = (v) => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
    const Y = (v) => H - m.b - (v / yMax) * (H - m.t - m.b);
    // grid + y axis
    for (const v of niceTicks(0, yMax, 5)) {
      root.append(s("line", { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), stroke: "#e6e9ef" }));
      root.append(s("text", { x: m.l - 6, y: Y(v) + 4, "text-anchor": "end" }, short(v)));
    }
    // x axis: about 8 date ticks
    const span = (x1 - x0) / DAY;
    const every = Math.max(1, Math.round(span / 8));
    for (let v = x0; v <= x1; v += every * DAY) {
      root.append(s("line", { x1: X(v), x2: X(v), y1: H - m.b, y2: H - m.b + 4, stroke: "#98a2b3" }));
      root.append(s("text", { x: X(v), y: H - m.b + 16, "text-anchor": "middle" }, fmtMonthDay(v)));
    }
    root.append(s("line", { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, stroke: "#98a2b3" }));
    // event windows (clipped to the chart)
    const evG = s("g", { class: "events" });
    const evBoxes = [];  // the windows' names: call-outs are kept off them
    (windows || []).forEach((w, i) => {
      // a window's end is its last period: the day's start on daily charts, 23:00 on hourly
      // ones (adding a whole day shaded the day after every hourly event too)
      const a = Math.max(t(w.start), x0), b = Math.min(t(w.end) + stepMs, x1);
      if (b <= a) return;
      const r = s("rect", { x: X(a), y: m.t, width: Math.max(2, X(b) - X(a)), height: H - m.t - m.b,
                            fill: "#f5a623", "fill-opacity": 0.16, stroke: "#f5a623", "stroke-opacity": 0.5 });
      r.append(s("title", {}, `${w.name}: ${fmtDay(t(w.start))} – ${fmtDay(t(w.end))}`));
      evG.append(r);
      const ey = m.t + 10 + (i % 3) * 11;
      evG.append(s("text", { class: "evlabel", x: X(a) + 2, y: ey }, w.name));
      evBoxes.push({ x0: X(a) + 2, x1: X(a) + 2 + w.name.length * 5.6, y0: ey - 9, y1: ey + 2 });
    });
    root.append(evG);
    // forecast start marker
    if (forecast.length && history.length) {
      const f0 = t(forecast[0].ds);
      root.append(s("line", { x1: X(f0), x2: X(f0), y1: m.t, y2: H - m.b, stroke: "#98a2b3", "stroke-dasharray": "3 3" }));
      root.append(s("text", { x: X(f0) + 4, y: H - m.b - 6 }, "forecast →"));
    }
    // band
    if (forecast.length) {
      const top = forecast.map((r) => `${X(t(r.ds))},${Y(r.p90)}`);
      const bot = forecast.slice().reverse().map((r) => `${X(t(r.ds))},${Y(r.p10)}`);
      root.append(s("polygon", { points: top.concat(bot).join(" "), fill: "#9ec0f5", "fill-opacity": 0.55, class: "band" }));
      root.append(s("polyline", { points: forecast.map((r) => `${X(t(r.ds))},${Y(r.p50)}`).join(" "),
                                   fill: "none", stroke: "#2f6fde", "stroke-width": 2, class: "p50" }));
    }
    if (history.length) {
      root.append(s("polyline", { points: history.map((r) => `${X(t(r.ds))},${Y(r.y)}`).join(" "),
                                   fill: "none", stroke: "#475467", "stroke-width": 1.3, class: "history" }));
    }
    // hover titles per forecast period
    const hov = s("g", {});
    const wpx = Math.max(1, X(x0 + stepMs) - X(x0));
    for (const r of forecast) {
      const rect = s("rect", { x: X(t(r.ds)) - wpx / 2, y: m.t, width: wpx, height: H - m.t - m.b, fill: "transparent" });
      rect.append(s("title", {}, `${at(r.ds)}: P50 ${Brain.num(r.p50)} (P10 ${Brain.num(r.p10)} – P90 ${Brain.num(r.p90)})`));
      hov.append(rect);
    }
    root.append(hov);
    // peak call-outs (one per window). Each label sits beside its own dot, its leader line
    // from the dot to the label's near end: on the side and at the height nearest the dot where
    // it covers no other peak's dot (nor the 24 px just above and below it), no other label,
    // leader or window's name, where its leader crosses no other label, and where its near end
    // is closer to its own dot than to any other. Two events 5 days apart had each been labelled over the other's dot (the
    // first's label drawn rightwards across the second's peak, the second's leftwards at the
    // chart's edge across the first's), so each read as the other's.
    const shared = new Set((peaks || []).filter((p) => p.window !== "horizon").map((p) => p.peak_ds));
    const dots = (peaks || []).map((p) => ({ x: X(t(p.peak_ds)), y: Y(p.peak_p50) }));
    const placed = evBoxes.slice();
    const overlaps = (a, b, pad) => a.x0 < b.x1 + pad && b.x0 < a.x1 + pad && a.y0 < b.y1 + pad && b.y0 < a.y1 + pad;
    // a dot is covered by a label within 24 px above or below it (where its own leader and
    // label go: a label drawn just over another dot read as that dot's)
    const covers = (b, d) => d.x >= b.x0 - 7 && d.x <= b.x1 + 7 && d.y >= b.y0 - 24 && d.y <= b.y1 + 24;
    // a leader line (sampled) crossing a box: one call-out's leader through another's label
    const crosses = (ln, b) => Array.from({ length: 17 }, (_, k) => k / 16).some((f) => {
      const x = ln.x1 + f * (ln.x2 - ln.x1), y = ln.y1 + f * (ln.y2 - ln.y1);
      return x > b.x0 - 2 && x < b.x1 + 2 && y > b.y0 - 2 && y < b.y1 + 2;
    });
    const leaders = [];
    const dist2 = (x, y, d) => (x - d.x) ** 2 + (y - d.y) ** 2;
    const boxAt = (side, px, ly, lw) => {
      const x0 = side === "end" ? px - 8 - lw : px + 8;
      return { x0, x1: x0 + lw, y0: ly - 4, y1: ly + 9 };  // the text's baseline is ly + 6
    };
    (peaks || []).forEach((p) => {
      if (p.window === "horizon" && shared.has(p.peak_ds)) {  // the horizon peak is an event's peak
        root.append(s("circle", { cx: X(t(p.peak_ds)), cy: Y(p.peak_p50), r: 7, fill: "none", stroke: "#c62828", "stroke-width": 2 }));
        return;
      }
      const px = X(t(p.peak_ds)), py = Y(p.peak_p50);
      const label = (p.window === "horizon" ? "Peak" : p.window) + ": " + Brain.num(p.peak_p50) +
        " on " + fmtMonthDay(t(p.peak_ds)) + (stepMs < DAY ? " " + String(p.peak_ds).slice(11, 16) : "") + (p.window !== "horizon" && p.lift_pct !== null && p.lift_pct !== undefined
          ? ` (${Brain.signed(Brain.num(p.lift_pct, 0))}% vs without it)` : "");
      const lw = label.length * 6.4;  // the label's width at 11 px
      const others = dots.filter((d) => Math.abs(d.x - px) > 1 || Math.abs(d.y - py) > 1);
      const fits = (side) => { const b = boxAt(side, px, py, lw); return b.x0 >= 2 && b.x1 <= W - 2; };
      // rightwards first, unless it runs off the chart or across another dot's column
      const across = (side) => others.filter((d) => (side === "end" ? d.x < px && d.x >= px - 8 - lw : d.x > px && d.x <= px + 8 + lw)).length;
      const sides = ["start", "end"].filter(fits).sort((a, b) => across(a) - across(b));
      if (!sides.length) sides.push(px + 8 + lw > W - 2 ? "end" : "start");
      const ys = [];
      for (let y = Math.max(m.t + 8, py - 26); y >= m.t + 8; y -= 14) ys.push(y);
      for (let y = py + 14; y <= H - m.b - 14; y += 14) ys.push(y);
      let pick = null;
      for (const ly of ys) {
        for (const side of sides) {
          const b = boxAt(side, px, ly, lw);
          const ax = side === "end" ? b.x1 : b.x0, ay = ly + 3;
          const ln = { x1: px, y1: py, x2: px + (side === "end" ? -6 : 6), y2: ay };
          if (placed.some((q) => overlaps(q, b, 3)) || others.some((d) => covers(b, d)) ||
              others.some((d) => dist2(ax, ay, d) <= dist2(ax, ay, { x: px, y: py })) ||
              leaders.some((q) => crosses(q, b)) || placed.some((q) => crosses(ln, q))) continue;
          pick = { side, ly, b };
          break;
        }
        if (pick) break;
      }
      if (!pick) {  // nowhere clear (many events in a few days): stack below the others
        const side = sides[0];
        let ly = Math.max(m.t + 8, py - 26);
        while (placed.some((q) => overlaps(q, boxAt(side, px, ly, lw), 3))) ly += 14;
        pick = { side, ly, b: boxAt(side, px, ly, lw) };
      }
      placed.push(pick.b);
      const { side, ly } = pick;
      leaders.push({ x1: px, y1: py, x2: px + (side === "end" ? -6 : 6), y2: ly + 3 });
      const g = s("g", { class: "peak" });
      g.append(s("line", { x1: px, y1: py, x2: px + (side === "end" ? -6 : 6), y2: ly + 3, stroke: "#1d2430", "stroke-width": 0.8 }));
      g.append(s("circle", { cx: px, cy: py, r: 4.5, fill: p.window === "horizon" ? "#c62828" : "#f5a623", stroke: "#fff", "stroke-width": 1.5 }));
      g.append(s("text", { class: "callout", x: px + (side === "end" ? -8 : 8), y: ly + 6, "text-anchor": side }, label));
      root.append(g);
    });
    // legend
    const lg = s("g", { transform: `translate(${m.l},14)` });
    const items = [["line", "#475467", "actual"], ["line", "#2f6fde", "forecast P50"], ["rect", "#9ec0f5", "P10–P90"],
                   ["rect", "#f5a623", "event window"], ["dot", "#c62828", "horizon peak"], ["dot", "#f5a623", "event peak"]];
    let lx = 0;
    for (const [kind, color, name] of items) {
      if (kind === "line") lg.append(s("line", { x1: lx, x2: lx + 18, y1: 0, y2: 0, stroke: color, "stroke-width": 2 }));
      else if (kind === "rect") lg.append(s("rect", { x: lx, y: -6, width: 18, height: 11, fill: color, "fill-opacity": 0.5 }));
      else lg.append(s("circle", { cx: lx + 9, cy: 0, r: 4.5, fill: color }));
      lg.append(s("text", { x: lx + 23, y: 4 }, name));
      lx += 34 + name.length * 6.2;
    }
    root.append(lg);
    container.replaceChildren(root);
  }

  /* Histogram from bin edges and counts. */
  function histogram(container, { edges, counts, color, fmt, mean, meanLabel }) {
    const W = 380, H = 190, m = { l: 44, r: 20, t: 16, b: 24 };
    const root = svg(W, H);
    const maxC = Math.max(1, ...counts);
    const lo = edges[0], hi = edges[edges.length - 1];
    const X = (v) => m.l + ((v - lo) / (hi - lo || 1)) * (W - m.l - m.r);
    const Y = (c) => H - m.b - (c / maxC) * (H - m.t - m.b);
    for (const v of niceTicks(0, maxC, 4)) {
      root.append(s("line", { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), stroke: "#eef0f4" }));
      root.append(s("text", { x: m.l - 5, y: Y(v) + 4, "text-anchor": "end" }, short(v)));
    }
    counts.forEach((c, i) => {
      const r = s("rect", { x: X(edges[i]) + 0.5, y: Y(c), width: Math.max(1, X(edges[i + 1]) - X(edges[i]) - 1),
                            height: H - m.b - Y(c), fill: color || "#2f6fde", class: "bar" });
      r.append(s("title", {}, `${fmt(edges[i])} – ${fmt(edges[i + 1])}: ${c.toLocaleString("en-US")} users`));
      root.append(r);
    });
    for (const v of niceTicks(lo, hi, 5)) {
      root.append(s("text", { x: X(v), y: H - m.b + 14, "text-anchor": "middle" }, fmt(v)));
    }
    root.append(s("line", { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, stroke: "#98a2b3" }));
    if (mean !== null && mean !== undefined && mean >= lo && mean <= hi) {
      root.append(s("line", { x1: X(mean), x2: X(mean), y1: m.t, y2: H - m.b, stroke: "#1d2430", "stroke-dasharray": "4 3" }));
      root.append(s("text", { x: X(mean) + (X(mean) > W - 90 ? -4 : 4), y: m.t + 8, "text-anchor": X(mean) > W - 90 ? "end" : "start" },
                    (meanLabel || "mean") + " " + fmt(mean)));
    }
    root.append(s("text", { x: 4, y: 9 }, "users"));
    container.replaceChildren(root);
  }

  /* Horizontal bars: [{label, value, note}]. */
  function bars(container, items, { color, fmt }) {
    const W = 520, rowH = 24, m = { l: 110, r: 80, t: 6, b: 6 };
    const H = m.t + m.b + rowH * items.length;
    const root = svg(W, H);
    const maxV = Math.max(1, ...items.map((d) => d.value));
    items.forEach((d, i) => {
      const y = m.t + i * rowH;
      const w = (d.value / maxV) * (W - m.l - m.r);
      root.append(s("text", { x: m.l - 6, y: y + rowH / 2 + 4, "text-anchor": "end" }, d.label));
      root.append(s("rect", { x: m.l, y: y + 3, width: Math.max(1, w), height: rowH - 6, fill: color || "#2f6fde", rx: 2 }));
      root.append(s("text", { x: m.l + w + 5, y: y + rowH / 2 + 4 }, (fmt || Brain.num)(d.value) + (d.note ? " " + d.note : "")));
    });
    container.replaceChildren(root);
  }

  /* Interval (forest) plot: [{label, est, lo, hi, sig, color}] with a zero line. */
  function forest(container, items, { fmt, axisLabel }) {
    const W = Math.max(container.clientWidth || 900, 640), rowH = 30, m = { l: 230, r: 30, t: 10, b: 38 };
    const H = m.t + m.b + rowH * items.length;
    const root = svg(W, H);
    const vals = items.flatMap((d) => [d.lo, d.hi, d.est]).filter((v) => Number.isFinite(v)).concat([0]);
    let lo = Math.min(...vals), hi = Math.max(...vals);
    const pad = (hi - lo || Math.abs(hi) || 1) * 0.12; lo -= pad; hi += pad;
    const X = (v) => m.l + ((v - lo) / (hi - lo)) * (W - m.l - m.r);
    for (const v of niceTicks(lo, hi, 6)) {
      root.append(s("line", { x1: X(v), x2: X(v), y1: m.t, y2: H - m.b, stroke: "#eef0f4" }));
      root.append(s("text", { x: X(v), y: H - m.b + 14, "text-anchor": "middle" }, fmt(v)));
    }
    root.append(s("line", { x1: X(0), x2: X(0), y1: m.t, y2: H - m.b, stroke: "#1d2430", "stroke-width": 1.2 }));
    root.append(s("text", { x: (m.l + W - m.r) / 2, y: H - 4, "text-anchor": "middle" }, axisLabel || "effect"));
    items.forEach((d, i) => {
      const y = m.t + i * rowH + rowH / 2;
      root.append(s("text", { x: m.l - 8, y: y + 4, "text-anchor": "end" }, d.label));
      if (![d.lo, d.hi, d.est].every(Number.isFinite)) {
        root.append(s("text", { x: X(0) + 6, y: y + 4 }, "undefined (control mean is 0)"));
        return;
      }
      const g = s("g", { class: "interval" });
      g.append(s("line", { x1: X(d.lo), x2: X(d.hi), y1: y, y2: y, stroke: d.color, "stroke-width": 3 }));
      g.append(s("line", { x1: X(d.lo), x2: X(d.lo), y1: y - 6, y2: y + 6, stroke: d.color, "stroke-width": 2 }));
      g.append(s("line", { x1: X(d.hi), x2: X(d.hi), y1: y - 6, y2: y + 6, stroke: d.color, "stroke-width": 2 }));
      g.append(s("circle", { cx: X(d.est), cy: y, r: 5.5, fill: d.sig ? d.color : "#fff", stroke: d.color, "stroke-width": 2 }));
      g.append(s("title", {}, `${d.label}: ${fmt(d.est)} [${fmt(d.lo)}, ${fmt(d.hi)}]`));
      root.append(g);
    });
    container.replaceChildren(root);
  }

  return { forecast, histogram, bars, forest };
})();
