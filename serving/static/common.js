/* Shared helpers: API calls with the bearer token, readable errors, CSV in and out, formatting. */
"use strict";
const Brain = (() => {
  const PAGE = new URL(".", location.href);          // .../ui/
  const ROOT = new URL("..", PAGE);                   // the service root
  const TOKEN_KEY = "marketing-brain.api-token";

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
  function setToken(t) {
    if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
  }
  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const t = token();
    if (t) h.Authorization = "Bearer " + t;
    return h;
  }

  /* Turn any error body (ours, BentoML's validation list, plain text) into one readable message. */
  function describe(status, data, text) {
    const parts = [];
    const add = (x) => { if (x !== undefined && x !== null && String(x).trim()) parts.push(String(x)); };
    const fromItem = (item) => {
      if (item === null || item === undefined) return;
      if (typeof item === "string") { add(item); return; }
      if (Array.isArray(item)) { item.forEach(fromItem); return; }
      if (typeof item === "object") {
        if (Array.isArray(item.detail)) {
          item.detail.forEach((d) => {
            if (d && typeof d === "object" && d.msg) {
              const where = (d.loc || []).map((l) => (typeof l === "number" ? "row " + (l + 1) : l)).join(" › ");
              add((where ? where + ": " : "") + d.msg);
            } else { fromItem(d); }
          });
          if (!parts.length) add(item.error);
          return;
        }
        if (item.error !== undefined) { fromItem(item.error); return; }
        if (item.message !== undefined) { fromItem(item.message); return; }
        if (typeof item.detail === "string") { add(item.detail); return; }
        add(JSON.stringify(item));
      }
    };
    fromItem(data);
    if (!parts.length) add((text || "").slice(0, 400));
    const msg = parts.join("\n");
    if (status === 401) {
      return "The server needs an API token (HTTP 401). Paste the token (BRAIN_API_TOKEN on the " +
             "server) into the “API token” field at the top and press Save." + (msg ? "\nServer said: " + msg : "");
    }
    if (status === 413) return "The upload is too large for the server (HTTP 413). " + msg;
    if (status >= 500) return "The server could not answer (HTTP " + status + "): " + (msg || "no details");
    return "The request was rejected (HTTP " + status + "): " + (msg || "no details");
  }

  async function call(method, url, body) {
    let resp;
    try {
      resp = await fetch(url, {
        method,
        headers: headers(body !== undefined ? { "Content-Type": "application/json" } : {}),
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new ApiError(0, "Could not reach the server (" + e.message + "). Is `brain serve` still running?");
    }
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!resp.ok) throw new ApiError(resp.status, describe(resp.status, data, text));
    return data === null ? text : data;
  }

  const api = (path, body) => call(body === undefined ? "GET" : "POST", new URL(path.replace(/^\//, ""), ROOT), body);
  const page = (path) => call("GET", new URL(path, PAGE));

  /* Download a page endpoint (with the token) as a file. */
  async function downloadFrom(path, filename) {
    let resp;
    try { resp = await fetch(new URL(path, PAGE), { headers: headers() }); }
    catch (e) { throw new ApiError(0, "Could not reach the server (" + e.message + ")."); }
    if (!resp.ok) {
      const text = await resp.text();
      let data = null; try { data = JSON.parse(text); } catch (_) { /* not JSON */ }
      throw new ApiError(resp.status, describe(resp.status, data, text));
    }
    saveBlob(await resp.blob(), filename);
  }

  function saveBlob(blob, filename) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function csvCell(v) {
    if (v === null || v === undefined) return "";
    const s = Array.isArray(v) ? v.join("; ") : String(v);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function downloadCSV(filename, header, rows) {
    const lines = [header.map(csvCell).join(",")].concat(rows.map((r) => r.map(csvCell).join(",")));
    saveBlob(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }), filename);
  }

  /* RFC 4180-ish CSV: quotes, doubled quotes, CRLF, BOM. Throws with the file name and line. */
  function parseCSV(text, fileName) {
    const name = fileName || "the file";
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (!text.trim()) throw new Error(name + ": the file is empty; it needs a header line and at least one row.");
    if (text.indexOf("\u0000") >= 0) throw new Error(name + ": this is not a text CSV file (it contains binary data).");
    const rows = []; let row = []; let cell = ""; let q = false; let line = 1; let quoteStart = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (q) {
        if (c === '"') { if (text[i + 1] === '"') { cell += '"'; i++; } else { q = false; } }
        else { if (c === "\n") line++; cell += c; }
      } else if (c === '"') { q = true; quoteStart = line; }
      else if (c === ",") { row.push(cell); cell = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(cell); cell = ""; rows.push([row, line]); row = []; line++;
      } else { cell += c; }
    }
    if (q) throw new Error(name + ": a quoted field opened on line " + quoteStart + " is never closed.");
    if (cell !== "" || row.length) { row.push(cell); rows.push([row, line]); }
    const nonEmpty = rows.filter(([r]) => !(r.length === 1 && r[0].trim() === ""));
    const header = nonEmpty.length ? nonEmpty[0][0].map((h) => h.trim()) : [];
    if (!header.length || header.every((h) => !h)) throw new Error(name + ": the first line must be a header with column names.");
    const sep = header.length === 1 ? [";", "\t"].find((d) => header[0].includes(d)) : undefined;
    if (sep) {  // a spreadsheet saved with a European list separator, or a tab-separated export
      const shown = sep === ";" ? "';' (semicolons)" : "tabs";
      throw new Error(name + ": the values are separated by " + shown + ", not commas (header: " + header[0].replace(/\t/g, " ") +
        "). Save the file as comma-separated CSV (e.g. “CSV UTF-8 (Comma delimited)”), with decimal points in numbers (0.3, not 0,3).");
    }
    const dupes = header.filter((h, i) => header.indexOf(h) !== i);
    if (dupes.length) throw new Error(name + ": the header repeats the column(s) " + dupes.join(", ") + "; every column needs a unique name.");
    const body = nonEmpty.slice(1);
    if (!body.length) throw new Error(name + ": the file has a header but no data rows.");
    const out = [];
    for (const [r, ln] of body) {
      if (r.length !== header.length) {
        throw new Error(name + ": line " + ln + " has " + r.length + " fields but the header has " +
                        header.length + " (" + header.join(",") + "). Fix the line or quote values that contain commas.");
      }
      const o = {}; header.forEach((h, j) => { o[h] = r[j].trim(); }); out.push(o);
    }
    return { header, rows: out };
  }

  function readFile(file) {
    return new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.onerror = () => reject(new Error(file.name + ": could not be read (" + r.error + ")."));
      r.readAsText(file);
    });
  }

  function showError(view, message) {
    const box = view.querySelector(".error");
    box.innerHTML = "";
    const close = el("button", { type: "button", title: "dismiss" }, "×");
    close.addEventListener("click", () => { box.hidden = true; });
    box.append(close, el("b", {}, "Something needs fixing: "), document.createTextNode(message));
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }
  function clearError(view) { const b = view.querySelector(".error"); b.hidden = true; b.innerHTML = ""; }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  // at most d decimals, or exactly d (``fixed``): a column of lifts or shares keeps its
  // decimals, so -16.0 is not printed "-16%" beside "-17.2%"
  const nf = (d, fixed) => new Intl.NumberFormat("en-US", { maximumFractionDigits: d, minimumFractionDigits: fixed ? d : 0 });
  // ``digits`` given: exactly that many decimals; else by size (0 from 100, 1 from 10, else 2),
  // trailing zeros dropped (counts read 12, not 12.00)
  function num(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const d = digits !== undefined ? digits : Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
    return nf(d, digits !== undefined).format(v);
  }
  // a share as a percentage with exactly ``digits`` decimals (1 unless given)
  function pct(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    return nf(digits === undefined ? 1 : digits, true).format(v * 100) + "%";
  }
  function signed(s) { return /^[0-9]/.test(s) ? "+" + s : s; }
  const day = (iso) => (iso ? String(iso).slice(0, 10) : "");

  async function busy(button, fn) {
    const was = button.textContent; button.disabled = true; button.textContent = was + " …";
    try { return await fn(); } finally { button.disabled = false; button.textContent = was; }
  }

  return { ApiError, token, setToken, api, page, describe, downloadFrom, downloadCSV, parseCSV,
           readFile, showError, clearError, el, num, pct, signed, day, busy, ROOT, PAGE };
})();
