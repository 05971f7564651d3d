// sturgeon dashboard: every value a user chose goes into the page as text (textContent), and
// into plots with <, > and & as entities, never as markup.
"use strict";

const POLL_MS = 1500;
const PAGE_ROWS = 50;
const MAX_CURVES = 200;
const STATE_COLORS = {
  COMPLETE: "#1b7f3b", PRUNED: "#d48a00", FAIL: "#c62828", RUNNING: "#1f6feb", PAUSED: "#7b3fb8", WAITING: "#90a4ae",
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
// text for plotly labels: plotly reads a little HTML in strings, so escape it
function pt(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+(e|$)/, "$1");
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}
function when(ts) { return ts ? new Date(ts * 1000).toLocaleString() : ""; }
function toast(msg) {
  const t = document.getElementById("toast");
  t.textContent = msg;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 4000);
}
async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || r.statusText);
  return r.json();
}
function token() { return sessionStorage.getItem("sturgeon-token") || ""; }
async function write(study, action, body) {
  const r = await fetch(`/api/studies/${encodeURIComponent(study)}/${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Sturgeon-Token": token() },
    body: JSON.stringify(body),
  });
  const out = await r.json().catch(() => ({}));
  if (!r.ok) { toast(`refused: ${out.error || r.statusText}`); throw new Error(out.error); }
  toast(`${action}: done`);
  return out;
}
function setupToken() {
  const url = new URL(location.href);
  const t = url.searchParams.get("token");
  if (t) {
    sessionStorage.setItem("sturgeon-token", t);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search);
  }
  const input = document.getElementById("token");
  input.value = token();
  input.addEventListener("change", () => sessionStorage.setItem("sturgeon-token", input.value));
}
function crumbs(...parts) {
  const c = document.getElementById("crumbs");
  c.replaceChildren();
  for (const [text, href] of parts) {
    c.append(" / ");
    c.append(href ? el("a", { href }, text) : el("span", {}, text));
  }
}
function ready() {
  window.sturgeonRenders = (window.sturgeonRenders || 0) + 1;
  document.body.dataset.ready = "1";
  document.body.dataset.renders = String(window.sturgeonRenders);
}
function studyURL(name) { return `/study/${encodeURIComponent(name)}`; }

// -- studies ---------------------------------------------------------------------------------
async function studiesPage() {
  crumbs(["studies", null]);
  const main = document.getElementById("main");
  async function render() {
    const data = await getJSON("/api/studies");
    document.getElementById("mode").textContent = data.read_only ? "read-only" : "";
    const rows = data.studies.map((s) => el("tr", { dataset: { study: s.name } },
      el("td", {}, el("a", { href: studyURL(s.name) }, s.name)),
      el("td", {}, s.direction),
      el("td", { class: "num" }, s.n_trials),
      el("td", {}, Object.entries(s.states).filter(([, n]) => n).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(", ")),
      el("td", { class: "num" }, fmt(s.best_value)),
      el("td", { class: "num" }, s.workers),
      el("td", {}, when(s.last_activity)),
    ));
    main.replaceChildren(el("h1", {}, "Studies"), el("table", { id: "studies" },
      el("thead", {}, el("tr", {}, ...["study", "direction", "trials", "by state", "best value", "workers", "last activity"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...rows)));
    if (!data.studies.length) main.append(el("p", { class: "muted" }, "No studies in this storage yet."));
    ready();
  }
  await render();
  setInterval(() => render().catch(() => {}), POLL_MS * 2);
}

// -- one study -------------------------------------------------------------------------------
class StudyData {
  constructor(name) { this.name = name; this.cursor = 0; this.rows = new Map(); this.columns = []; this.curves = new Map(); }
  async update() {
    const d = await getJSON(`/api/studies/${encodeURIComponent(this.name)}/trials?since=${this.cursor}`);
    const f = Object.fromEntries(d.fields.map((k, i) => [k, i]));
    const changed = [];
    for (const r of d.rows) {
      const cols = d.columns;
      const params = {};
      r[f.params].forEach((v, i) => { if (v !== "\u0000missing") params[cols[i]] = v; });
      const t = { number: r[f.number], state: r[f.state], value: r[f.value], start: r[f.start], end: r[f.end], params,
        n_reports: r[f.n_reports], last_step: r[f.last_step], pause_reason: r[f.pause_reason], excluded: r[f.excluded],
        n_changes: r[f.n_changes], worker: r[f.worker], values: r[f.values], feasible: r[f.feasible] };
      if (t.values) t.value = t.values[0]; // several objectives: the value-based plots show the first
      this.rows.set(t.number, t);
      this.curves.delete(t.number);
      changed.push(t.number);
    }
    this.columns = d.columns;
    this.direction = d.direction;
    this.directions = d.direction.split(",");
    this.multi = this.directions.length > 1;
    this.summary = d.summary;
    this.readOnly = d.read_only;
    const moved = d.cursor !== this.cursor;
    this.cursor = d.cursor;
    return { moved, changed };
  }
  trials() { return [...this.rows.values()].sort((a, b) => a.number - b.number); }
  async loadCurves(numbers) {
    const need = numbers.filter((n) => !this.curves.has(n) && this.rows.get(n) && this.rows.get(n).n_reports);
    for (let i = 0; i < need.length; i += 500) {
      const part = need.slice(i, i + 500);
      const d = await getJSON(`/api/studies/${encodeURIComponent(this.name)}/curves?trials=${part.join(",")}`);
      for (const [n, c] of Object.entries(d.curves)) this.curves.set(Number(n), c);
    }
  }
}

// WebGL scatter for many points (SVG markers cost a DOM node each)
function sc(n) { return n > 1500 ? "scattergl" : "scatter"; }
function better(direction) { return direction === "maximize" ? (a, b) => a > b : (a, b) => a < b; }
function plot(id, traces, layout) {
  const base = { margin: { l: 50, r: 10, t: 30, b: 40 }, showlegend: false, hovermode: "closest" };
  Plotly.react(id, traces, Object.assign(base, layout), { displaylogo: false, responsive: true });
}

// the rows no other row dominates (losses: every objective minimized), sorted by the first
function paretoMask(points, directions) {
  const sign = directions.map((d) => (d === "maximize" ? -1 : 1));
  const loss = points.map((p) => p.map((v, j) => v * sign[j]));
  const order = loss.map((_, i) => i).sort((a, b) => { for (let j = 0; j < sign.length; j++) if (loss[a][j] !== loss[b][j]) return loss[a][j] - loss[b][j]; return 0; });
  const keep = new Array(points.length).fill(false), front = [];
  for (const i of order) {
    const y = loss[i];
    const dominated = front.some((k) => { const f = loss[k]; let lt = false; for (let j = 0; j < y.length; j++) { if (f[j] > y[j]) return false; if (f[j] < y[j]) lt = true; } return lt; });
    if (!dominated) { keep[i] = true; front.push(i); }
  }
  return keep;
}

function drawPareto(data, trials) {
  const done = trials.filter((t) => t.state === "COMPLETE" && t.values && t.values.every((v) => typeof v === "number") && !t.excluded);
  const feasible = done.filter((t) => t.feasible), infeasible = done.filter((t) => !t.feasible);
  const best = paretoMask(feasible.map((t) => t.values), data.directions);
  const front = feasible.filter((_, i) => best[i]), rest = feasible.filter((_, i) => !best[i]);
  data.paretoSize = front.length;
  front.sort((a, b) => a.values[0] - b.values[0]);
  const xy = (ts) => ({ x: ts.map((t) => t.values[0]), y: ts.map((t) => t.values[1]), text: ts.map((t) => `#${t.number}`) });
  plot("plot-history", [
    Object.assign({ type: sc(rest.length), mode: "markers", name: "dominated", marker: { size: 5, color: "#90a4ae" } }, xy(rest)),
    Object.assign({ type: "scatter", mode: "markers", name: "infeasible", marker: { size: 5, color: "#e0e0e0", symbol: "x" } }, xy(infeasible)),
    Object.assign({ type: "scatter", mode: "lines+markers", name: "Pareto front", marker: { size: 7, color: "#d62728" }, line: { color: "#d62728", shape: "hv" } }, xy(front)),
  ], { title: { text: `Pareto front (${front.length} trials)` }, xaxis: { title: { text: `objective 0 (${data.directions[0]})` } },
    yaxis: { title: { text: `objective 1 (${data.directions[1]})` } } });
}

function drawHistory(data, trials) {
  if (data.multi) { drawPareto(data, trials); return; }
  const done = trials.filter((t) => t.state === "COMPLETE" && t.value !== null && !t.excluded);
  const b = better(data.direction);
  let best = null;
  const bx = [], by = [];
  for (const t of done) { if (best === null || b(t.value, best)) best = t.value; bx.push(t.number); by.push(best); }
  plot("plot-history", [
    { type: sc(done.length), mode: "markers", name: "value", x: done.map((t) => t.number), y: done.map((t) => t.value),
      marker: { size: 5, color: "#90a4ae" }, text: done.map((t) => `#${t.number}`) },
    { type: "scatter", mode: "lines", name: "best so far", x: bx, y: by, line: { color: "#1f6feb", shape: "hv" } },
  ], { title: { text: "Best value so far" }, xaxis: { title: { text: "trial" } }, yaxis: { title: { text: "value" } } });
}

function curveTrials(data, trials) {
  const withCurves = trials.filter((t) => t.n_reports > 0);
  if (withCurves.length <= MAX_CURVES) return withCurves.map((t) => t.number);
  const b = better(data.direction);
  const done = withCurves.filter((t) => t.value !== null).sort((x, y) => (b(x.value, y.value) ? -1 : 1));
  const pick = new Set(done.slice(0, MAX_CURVES / 4).map((t) => t.number));
  for (const t of withCurves.slice(-MAX_CURVES)) { if (pick.size >= MAX_CURVES) break; pick.add(t.number); }
  for (const t of withCurves) if (t.state === "RUNNING" || t.state === "PAUSED") pick.add(t.number);
  return [...pick].sort((x, y) => x - y);
}

async function drawCurves(data, trials) {
  const numbers = curveTrials(data, trials);
  await data.loadCurves(numbers);
  const traces = [];
  const ends = { PRUNED: { x: [], y: [], text: [] }, PAUSED: { x: [], y: [], text: [] } };
  const marks = { x: [], y: [], text: [] };
  const lines = {};
  for (const n of numbers) {
    const c = data.curves.get(n);
    if (!c || !c.iv.length) continue;
    // one trace per state, the curves separated by gaps: a few SVG paths however many trials
    const line = (lines[c.state] = lines[c.state] || { x: [], y: [], text: [], trials: [] });
    for (const p of c.iv) { line.x.push(p[0]); line.y.push(p[1]); line.text.push(`#${n} step ${p[0]}`); }
    line.x.push(null); line.y.push(null); line.text.push(""); line.trials.push(n);
    if (c.superseded.length) traces.push({ type: "scatter", mode: "lines", x: c.superseded.map((p) => p[0]),
      y: c.superseded.map((p) => p[1]), line: { width: 1, dash: "dot", color: "#9e9e9e" }, hoverinfo: "skip" });
    const last = c.iv[c.iv.length - 1];
    if (ends[c.state]) { ends[c.state].x.push(last[0]); ends[c.state].y.push(last[1]); ends[c.state].text.push(`#${n} ${c.state.toLowerCase()}`); }
    for (const ch of c.changes) {
      const at = c.iv.find((p) => p[0] === ch.step - 1) || last;
      marks.x.push(at[0]); marks.y.push(at[1]);
      marks.text.push(pt(`#${n} ${ch.action} from step ${ch.step}: ${JSON.stringify(ch.params)}${ch.reason ? " (" + ch.reason + ")" : ""}`));
    }
  }
  for (const [state, l] of Object.entries(lines)) {
    traces.unshift({ type: "scatter", mode: "lines", name: state.toLowerCase(), x: l.x, y: l.y, text: l.text, hoverinfo: "text",
      line: { width: 1, color: STATE_COLORS[state] || "#607d8b" }, opacity: state === "COMPLETE" ? 0.8 : 0.55, meta: { trials: l.trials } });
  }
  traces.push({ type: "scatter", mode: "markers", name: "pruned", x: ends.PRUNED.x, y: ends.PRUNED.y, text: ends.PRUNED.text,
    marker: { symbol: "x", size: 8, color: STATE_COLORS.PRUNED }, hoverinfo: "text" });
  traces.push({ type: "scatter", mode: "markers", name: "paused", x: ends.PAUSED.x, y: ends.PAUSED.y, text: ends.PAUSED.text,
    marker: { symbol: "diamond-open", size: 9, color: STATE_COLORS.PAUSED }, hoverinfo: "text" });
  traces.push({ type: "scatter", mode: "markers", name: "live changes", x: marks.x, y: marks.y, text: marks.text,
    marker: { symbol: "triangle-up", size: 10, color: "#e91e63" }, hoverinfo: "text" });
  plot("plot-curves", traces, { title: { text: `Learning curves (${numbers.length} trials)` }, xaxis: { title: { text: "step" } } });
}

function numericColumn(trials, name) {
  return trials.every((t) => typeof t.params[name] === "number" || t.params[name] === undefined);
}
function dimension(trials, name) {
  if (numericColumn(trials, name)) {
    const v = trials.map((t) => t.params[name]);
    const pos = v.filter((x) => typeof x === "number");
    const logish = pos.length > 2 && pos.every((x) => x > 0) && Math.max(...pos) / Math.min(...pos) > 100;
    return { label: pt(logish ? `log10 ${name}` : name), values: v.map((x) => (typeof x === "number" ? (logish ? Math.log10(x) : x) : null)) };
  }
  const cats = [...new Set(trials.map((t) => fmt(t.params[name])))].sort();
  return { label: pt(name), values: trials.map((t) => cats.indexOf(fmt(t.params[name]))), tickvals: cats.map((_, i) => i), ticktext: cats.map(pt) };
}

const MAX_LINES = 400;
function drawParallel(data, trials) {
  // plain SVG polylines over normalized axes (plotly's parcoords needs WebGL, slow without a GPU);
  // big studies draw the best and the latest MAX_LINES / 2 each
  let done = trials.filter((t) => t.state === "COMPLETE" && t.value !== null && !t.excluded);
  const total = done.length;
  if (done.length > MAX_LINES) {
    const b = better(data.direction);
    const bestFirst = [...done].sort((x, y) => (b(x.value, y.value) ? -1 : 1));
    const keep = new Set([...bestFirst.slice(0, MAX_LINES / 2), ...done.slice(-MAX_LINES / 2)].map((t) => t.number));
    done = done.filter((t) => keep.has(t.number));
  }
  const dims = data.columns.map((c) => dimension(done, c));
  dims.push({ label: "value", values: done.map((t) => t.value) });
  const norm = dims.map((d) => {
    const v = d.values.filter((x) => typeof x === "number");
    const lo = Math.min(...v), hi = Math.max(...v);
    return (x) => (x === null || x === undefined ? null : hi > lo ? (x - lo) / (hi - lo) : 0.5);
  });
  const xs = [], ys = [], colors = [];
  const vals = done.map((t) => t.value), vlo = Math.min(...vals), vhi = Math.max(...vals);
  const byValue = (v) => (vhi > vlo ? (v - vlo) / (vhi - vlo) : 0.5);
  const traces = [];
  const bins = 8;  // one trace per colour band keeps it to a few SVG paths
  for (let k = 0; k < bins; k++) traces.push({ type: "scatter", mode: "lines", x: [], y: [], hoverinfo: "skip", line: { width: 1 }, opacity: 0.6 });
  const scale = ["#0d0887", "#5302a3", "#8b0aa5", "#b83289", "#db5c68", "#f48849", "#febd2a", "#f0f921"];
  done.forEach((t, i) => {
    let r = byValue(t.value);
    if (data.direction === "minimize") r = 1 - r;
    const tr = traces[Math.min(bins - 1, Math.floor(r * bins))];
    dims.forEach((d, j) => { tr.x.push(j); tr.y.push(norm[j](d.values[i])); });
    tr.x.push(null); tr.y.push(null);
  });
  traces.forEach((tr, k) => { tr.line.color = scale[k]; });
  const ticks = dims.map((d) => d.label);
  const annotations = dims.map((d, j) => {
    const v = d.values.filter((x) => x !== null && x !== undefined);
    const lo = Math.min(...v), hi = Math.max(...v);
    const txt = d.ticktext ? d.ticktext.join(" · ") : `${fmt(lo)} … ${fmt(hi)}`;
    return { x: j, y: -0.08, yref: "y", text: txt, showarrow: false, font: { size: 10 } };
  });
  plot("plot-parallel", traces, { title: { text: `Parallel coordinates (${done.length} of ${total} trials)` },
    xaxis: { tickvals: dims.map((_, j) => j), ticktext: ticks, range: [-0.3, dims.length - 0.7], showgrid: true },
    yaxis: { visible: false, range: [-0.15, 1.05] }, annotations });
  const gd = document.getElementById("plot-parallel");
  gd.dataset.lines = String(done.length);
  gd.dataset.axes = String(dims.length);
}

function drawSlices(data, trials) {
  // one figure, a panel per parameter (one WebGL context however many parameters)
  const done = trials.filter((t) => t.state === "COMPLETE" && t.value !== null && !t.excluded);
  const cols = Math.min(4, Math.max(1, data.columns.length));
  const rows = Math.max(1, Math.ceil(data.columns.length / cols));
  const target = document.getElementById("plot-slices");
  target.style.height = `${rows * 240}px`;
  const traces = [];
  const layout = { grid: { rows, columns: cols, pattern: "independent", xgap: 0.08, ygap: 0.25 }, margin: { l: 45, r: 10, t: 30, b: 35 },
    annotations: [] };
  data.columns.forEach((c, i) => {
    const held = done.filter((t) => c in t.params);
    const numeric = numericColumn(held, c);
    const x = held.map((t) => (numeric ? t.params[c] : pt(fmt(t.params[c]))));
    const pos = x.filter((v) => typeof v === "number");
    const log = numeric && pos.length > 2 && pos.every((v) => v > 0) && Math.max(...pos) / Math.min(...pos) > 100;
    const k = i === 0 ? "" : String(i + 1);
    traces.push({ type: sc(done.length), mode: "markers", x, y: held.map((t) => t.value), xaxis: `x${k}`, yaxis: `y${k}`,
      marker: { size: 4, color: held.map((t) => t.number), colorscale: "Blues" }, text: held.map((t) => `#${t.number}`), meta: { param: c } });
    layout[`xaxis${k}`] = { type: log ? "log" : numeric ? "linear" : "category", title: { text: pt(c) } };
  });
  plot("plot-slices", traces, layout);
}

function drawContour(data, trials) {
  const done = trials.filter((t) => t.state === "COMPLETE" && t.value !== null && !t.excluded);
  const nums = data.columns.filter((c) => numericColumn(done, c) && done.some((t) => c in t.params));
  const target = document.getElementById("plot-contour");
  if (nums.length < 2 || done.length < 4) { Plotly.purge(target); target.replaceChildren(el("p", { class: "muted" }, "Contour: needs two numeric parameters and four completed trials.")); return; }
  const [a, b] = nums;
  const rows = done.filter((t) => a in t.params && b in t.params);
  const scale = (name) => {
    const v = rows.map((t) => t.params[name]);
    const log = v.every((x) => x > 0) && Math.max(...v) / Math.min(...v) > 100;
    return { log, v: v.map((x) => (log ? Math.log10(x) : x)) };
  };
  const sa = scale(a), sb = scale(b);
  const G = 16, grid = Array.from({ length: G }, () => Array(G).fill(null)), cnt = Array.from({ length: G }, () => Array(G).fill(0));
  const range = (v) => [Math.min(...v), Math.max(...v) + 1e-12];
  const [a0, a1] = range(sa.v), [b0, b1] = range(sb.v);
  rows.forEach((t, i) => {
    const ix = Math.min(G - 1, Math.floor(((sa.v[i] - a0) / (a1 - a0)) * G)), iy = Math.min(G - 1, Math.floor(((sb.v[i] - b0) / (b1 - b0)) * G));
    grid[iy][ix] = (grid[iy][ix] || 0) + t.value; cnt[iy][ix] += 1;
  });
  const z = grid.map((r, iy) => r.map((v, ix) => (cnt[iy][ix] ? v / cnt[iy][ix] : null)));
  const axis = (lo, hi) => Array.from({ length: G }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / G);
  plot("plot-contour", [
    { type: "contour", x: axis(a0, a1), y: axis(b0, b1), z, connectgaps: true, colorscale: "Viridis", reversescale: data.direction === "minimize" },
    { type: sc(rows.length), mode: "markers", x: sa.v, y: sb.v, marker: { size: 4, color: "#fff", line: { width: 1, color: "#333" } }, text: rows.map((t) => `#${t.number}`) },
  ], { title: { text: pt(`Contour: ${a} × ${b}`) }, xaxis: { title: { text: pt(sa.log ? `log10 ${a}` : a) } }, yaxis: { title: { text: pt(sb.log ? `log10 ${b}` : b) } } });
}

function drawTimeline(data, trials) {
  // one line segment per trial (start to end), one trace per state: cheap for thousands of trials
  const shown = trials.filter((t) => t.start).slice(-5000);
  const now = Date.now() / 1000;
  const byState = {};
  const rows = new Map();
  for (const t of shown) {
    const key = t.worker ? String(t.worker) : `trial ${t.number}`;
    if (!rows.has(key)) rows.set(key, rows.size);
  }
  const perTrial = rows.size === shown.length;
  for (const t of shown) {
    const s = (byState[t.state] = byState[t.state] || { x: [], y: [], text: [], n: 0 });
    const row = perTrial ? t.number : rows.get(String(t.worker));
    s.x.push(new Date(t.start * 1000), new Date((t.end || now) * 1000), null);
    s.y.push(row, row, null);
    s.text.push(`#${t.number} ${t.state.toLowerCase()}`, `#${t.number} ${t.state.toLowerCase()}`, "");
    s.n += 1;
  }
  plot("plot-timeline", Object.entries(byState).map(([state, s]) => ({ type: "scatter", mode: "lines", name: state,
    x: s.x, y: s.y, text: s.text, hoverinfo: "text", line: { color: STATE_COLORS[state], width: 4 }, meta: { bars: s.n } })),
    { title: { text: "Timeline" }, xaxis: { type: "date" }, yaxis: { title: { text: perTrial ? "trial" : "worker" }, autorange: "reversed" },
      showlegend: true, margin: { l: 60, r: 10, t: 30, b: 40 } });
}

function tableView(data, host) {
  const state = { sort: "number", dir: 1, page: 0, filterState: "", filterText: "" };
  const head = el("thead");
  const body = el("tbody");
  const info = el("span", { class: "muted" });
  const stateSel = el("select", { id: "filter-state", on: { change: () => { state.filterState = stateSel.value; state.page = 0; draw(); } } },
    el("option", { value: "" }, "every state"), ...Object.keys(STATE_COLORS).map((s) => el("option", { value: s }, s.toLowerCase())));
  const text = el("input", { id: "filter-text", type: "text", placeholder: "filter: text, or name=value",
    on: { input: () => { state.filterText = text.value.trim(); state.page = 0; draw(); } } });
  const prev = el("button", { on: { click: () => { state.page = Math.max(0, state.page - 1); draw(); } } }, "‹ prev");
  const next = el("button", { on: { click: () => { state.page += 1; draw(); } } }, "next ›");
  host.append(el("div", { class: "controls" }, stateSel, text), el("table", { id: "trials" }, head, body), el("div", { class: "pager" }, prev, info, next));
  function cell(t, key) {
    if (key === "number") return t.number;
    if (key === "state") return t.state;
    if (key === "value" || key === "values") return t.value; // several objectives: sorted by the first
    if (key === "excluded") return t.excluded ? "excluded" : "";
    return t.params[key.slice(6)];
  }
  function matches(t) {
    if (state.filterState && t.state !== state.filterState) return false;
    const f = state.filterText;
    if (!f) return true;
    const eq = f.indexOf("=");
    if (eq > 0) { const k = f.slice(0, eq).trim(), v = f.slice(eq + 1).trim(); return k in t.params && fmt(t.params[k]) === v; }
    return [t.number, t.state, fmt(t.value), ...Object.values(t.params).map(fmt)].some((x) => String(x).includes(f));
  }
  function draw() {
    const keys = ["number", "state", data.multi ? "values" : "value", ...data.columns.map((c) => `param:${c}`), "excluded"];
    head.replaceChildren(el("tr", {}, ...keys.map((k) => el("th", { dataset: { key: k }, on: { click: () => {
      state.dir = state.sort === k ? -state.dir : 1; state.sort = k; draw(); } } }, k.startsWith("param:") ? k.slice(6) : k))));
    const rows = data.trials().filter(matches);
    const key = state.sort;
    rows.sort((a, b) => {
      const x = cell(a, key), y = cell(b, key);
      if (x === y) return a.number - b.number;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * state.dir;
    });
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
    state.page = Math.min(state.page, pages - 1);
    const shown = rows.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS);
    body.replaceChildren(...shown.map((t) => el("tr", { class: t.excluded ? "excluded" : "", dataset: { trial: t.number } },
      el("td", { class: "num" }, el("a", { href: `${studyURL(data.name)}/trial/${t.number}` }, `#${t.number}`)),
      el("td", { class: `state-${t.state}` }, t.state.toLowerCase() + (t.pause_reason ? ` (${t.pause_reason})` : "")),
      el("td", { class: "num" }, data.multi ? (t.values ? t.values.map(fmt).join(", ") : "") : fmt(t.value)),
      ...data.columns.map((c) => el("td", {}, c in t.params ? fmt(t.params[c]) : "–")),
      el("td", {}, t.excluded ? `excluded${t.excluded.reason ? ": " + t.excluded.reason : ""}` : ""))));
    info.textContent = `${rows.length} trials · page ${state.page + 1} of ${pages}`;
  }
  return draw;
}

async function drawImportance(data, pending) {
  const d = await (pending || getJSON(`/api/studies/${encodeURIComponent(data.name)}/importance`));
  const target = document.getElementById("plot-importance");
  const names = Object.keys(d.importances);
  if (!names.length) { Plotly.purge(target); target.replaceChildren(el("p", { class: "muted" }, `Importance: ${d.error || "not enough completed trials yet"}`)); return; }
  plot("plot-importance", [{ type: "bar", orientation: "h", x: names.map((n) => d.importances[n]), y: names.map(pt), marker: { color: "#1f6feb" } }],
    { title: { text: `Parameter importance (${d.method})` }, yaxis: { autorange: "reversed", automargin: true }, margin: { l: 120, r: 10, t: 30, b: 40 } });
}

async function drawAnalysis(data, pending) {
  const box = document.getElementById("analysis");
  const a = await (pending || getJSON(`/api/studies/${encodeURIComponent(data.name)}/analysis`));
  box.replaceChildren(...a.warnings.map((w) => el("div", { class: "warn" }, w)));
  const names = Object.keys(a.ranges);
  if (names.length) box.append(el("table", { id: "ranges" }, el("thead", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "narrowed range (best 20 %)"))),
    el("tbody", {}, ...names.map((n) => el("tr", {}, el("td", {}, n), el("td", {}, a.ranges[n]))))));
}

async function studyPage() {
  const name = decodeURIComponent(location.pathname.split("/")[2]);
  crumbs(["studies", "/"], [name, null]);
  const data = new StudyData(name);
  const main = document.getElementById("main");
  const stats = el("div", { class: "stats", id: "stats" });
  const tableHost = el("div", { id: "table" });
  const enqueueBox = el("input", { id: "enqueue-params", type: "text", placeholder: '{"lr": 0.01, "layers": 2}' });
  main.replaceChildren(
    el("h1", { id: "study-name" }, name), stats,
    el("div", { class: "grid" },
      el("div", { class: "card" }, el("div", { id: "plot-history", class: "plot" })),
      el("div", { class: "card" }, el("div", { id: "plot-curves", class: "plot" })),
      el("div", { class: "card" }, el("div", { id: "plot-parallel", class: "plot" })),
      el("div", { class: "card" }, el("div", { id: "plot-contour", class: "plot" })),
      el("div", { class: "card" }, el("div", { id: "plot-importance", class: "plot" })),
      el("div", { class: "card" }, el("div", { id: "plot-timeline", class: "plot" })),
      el("div", { class: "card", id: "analysis-card" }, el("h2", {}, "Ranges"), el("div", { id: "analysis" }))),
    el("h2", {}, "Slices"), el("div", { class: "card" }, el("div", { id: "plot-slices" })),
    el("h2", {}, "Trials"), tableHost,
    el("h2", {}, "Stop the study"),
    el("div", { class: "controls" }, el("span", { class: "muted" }, "every worker finishes its running trials and starts no new one"),
      el("button", { id: "stop-study", on: { click: async () => {
        if (!confirm("Stop every worker of this study?")) return;
        await write(name, "stop_study", { reason: "stopped from the dashboard" }).catch(() => {});
      } } }, "stop study")),
    el("h2", {}, "Enqueue a configuration"),
    el("div", { class: "controls" }, enqueueBox, el("button", { id: "enqueue", on: { click: async () => {
      let params;
      try { params = JSON.parse(enqueueBox.value); } catch (e) { toast("enqueue: the parameters must be a JSON object"); return; }
      await write(name, "enqueue", { params }).catch(() => {});
    } } }, "enqueue")));
  const drawTable = tableView(data, tableHost);
  let busy = false;
  async function refresh(first) {
    if (busy) return;
    busy = true;
    try {
      const t0 = performance.now();
      const { moved } = await data.update();
      window.sturgeonFetchMs = performance.now() - t0;
      if (!moved && !first) return;
      const s = data.summary;
      document.getElementById("mode").textContent = data.readOnly ? "read-only" : "";
      stats.replaceChildren(el("span", {}, "direction ", el("b", {}, s.direction)), el("span", {}, "trials ", el("b", { id: "n-trials" }, s.n_trials)),
        ...Object.entries(s.states).filter(([, n]) => n).map(([k, n]) => el("span", { class: `state-${k}` }, `${k.toLowerCase()} `, el("b", {}, n))),
        el("span", {}, "best ", el("b", { id: "best-value" }, fmt(s.best_value))));
      const trials = data.trials();
      if (data.multi) stats.lastChild.replaceChildren("Pareto front ", el("b", { id: "best-value" }, String(paretoMask(trials.filter((t) => t.state === "COMPLETE" && t.values && t.feasible && !t.excluded).map((t) => t.values), data.directions).filter(Boolean).length)));
      // the server answers these while the page draws the rest
      const base = `/api/studies/${encodeURIComponent(data.name)}`;
      const analysis = getJSON(`${base}/analysis`), importance = getJSON(`${base}/importance`);
      const curvesLoaded = data.loadCurves(curveTrials(data, trials));
      analysis.catch(() => {}); importance.catch(() => {}); curvesLoaded.catch(() => {});
      const timings = (window.sturgeonTimings = {});
      const timed = async (name, fn) => { const t0 = performance.now(); await fn(); timings[name] = performance.now() - t0; };
      await timed("history", () => drawHistory(data, trials));
      await timed("parallel", () => drawParallel(data, trials));
      await timed("slices", () => drawSlices(data, trials));
      await timed("contour", () => drawContour(data, trials));
      await timed("timeline", () => drawTimeline(data, trials));
      await timed("table", () => drawTable());
      await Promise.all([timed("curves", async () => { await curvesLoaded; await drawCurves(data, trials); }),
        timed("analysis", () => drawAnalysis(data, analysis)), timed("importance", () => drawImportance(data, importance))]);
      ready();
    } finally { busy = false; }
  }
  await refresh(true);
  setInterval(() => refresh(false).catch((e) => toast(String(e))), POLL_MS);
}

// -- one trial -------------------------------------------------------------------------------
function kvTable(id, obj) {
  const keys = Object.keys(obj || {});
  if (!keys.length) return el("p", { class: "muted", id }, "none");
  return el("table", { id }, el("tbody", {}, ...keys.map((k) => el("tr", {}, el("th", {}, k), el("td", {}, fmt(obj[k]))))));
}

async function trialPage() {
  const parts = location.pathname.split("/");
  const name = decodeURIComponent(parts[2]);
  const number = Number(parts[4]);
  crumbs(["studies", "/"], [name, studyURL(name)], [`trial ${number}`, null]);
  const main = document.getElementById("main");
  let cursor = -1;
  async function render() {
    const t = await getJSON(`/api/studies/${encodeURIComponent(name)}/trials/${number}`);
    if (t.cursor === cursor) return;
    cursor = t.cursor;
    document.getElementById("mode").textContent = t.read_only ? "read-only" : "";
    const assign = el("input", { id: "assign", type: "text", placeholder: "lr=3e-4 momentum=0.9" });
    const reason = el("input", { id: "reason", type: "text", placeholder: "reason" });
    const step = el("input", { id: "to-step", type: "number", placeholder: "step", style: "width:7em" });
    const note = el("input", { id: "note-text", type: "text", placeholder: "a note on this trial" });
    const pairs = () => Object.fromEntries(assign.value.split(/\s+/).filter(Boolean).map((p) => [p.split("=")[0], p.split("=").slice(1).join("=")]));
    const act = (action, extra) => write(name, action, Object.assign({ trial: number, reason: reason.value || null }, extra)).then(render).catch(() => {});
    main.replaceChildren(
      el("h1", {}, `Trial ${number} `, el("span", { class: `state-${t.state}`, id: "trial-state" }, t.state.toLowerCase())),
      t.excluded ? el("div", { class: "warn", id: "excluded" }, `excluded from samplers and best_*${t.excluded.reason ? ": " + t.excluded.reason : ""}`) : "",
      el("div", { class: "stats" }, el("span", {}, t.values ? "values " : "value ", el("b", { id: "trial-value" }, t.values ? t.values.map(fmt).join(", ") : fmt(t.value))),
        t.constraints ? el("span", { class: t.constraints.every((c) => c <= 0) ? "" : "warn" }, "constraints ", el("b", {}, t.constraints.map(fmt).join(", "))) : "", el("span", {}, "started ", when(t.start)),
        el("span", {}, "finished ", when(t.end)), el("span", {}, "steps trained ", el("b", {}, t.resource))),
      el("div", { class: "card" }, el("div", { id: "plot-trial-curve", class: "plot" })),
      el("h2", {}, "Controls"),
      el("div", { class: "controls" }, assign, reason,
        el("button", { id: "do-set", on: { click: () => act("set", { params: pairs() }) } }, "set values"),
        el("button", { id: "do-pause", on: { click: () => act("pause") } }, "pause"),
        el("button", { id: "do-resume", on: { click: () => act("resume") } }, "resume"),
        el("button", { id: "do-stop", on: { click: () => act("stop") } }, "stop"),
        step, el("button", { id: "do-rewind", on: { click: () => act("rewind", { to_step: Number(step.value), params: pairs() }) } }, "rewind to step"),
        el("button", { id: "do-exclude", on: { click: () => act(t.excluded ? "include" : "exclude") } }, t.excluded ? "include again" : "exclude")),
      el("div", { class: "controls" }, note, el("button", { id: "do-note", on: { click: () => act("note", { text: note.value }) } }, "add note")),
      el("h2", {}, "Parameters"), kvTable("params", t.params),
      el("h2", {}, "Schedule (values by step, along the lineage)"),
      t.schedule.length ? el("table", { id: "schedule" }, el("tbody", {}, ...t.schedule.map(([s, v]) => el("tr", {}, el("th", {}, `from step ${s}`), el("td", {}, fmt(v)))))) : el("p", { class: "muted" }, "none"),
      el("h2", {}, "Live changes"),
      t.changes.length ? el("table", { id: "changes" }, el("thead", {}, el("tr", {}, ...["from step", "action", "values", "before", "reason", "source", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...t.changes.map((c) => el("tr", {}, el("td", {}, c.step), el("td", {}, c.action), el("td", {}, fmt(c.params)), el("td", {}, fmt(c.old)),
          el("td", {}, c.reason || ""), el("td", {}, c.source ? `trial ${c.source[0]} step ${c.source[1]}` : ""), el("td", {}, c.superseded ? "superseded" : ""))))) : el("p", { class: "muted" }, "none"),
      el("h2", {}, "Pending requests"), t.pending.length ? el("pre", { id: "pending" }, JSON.stringify(t.pending, null, 1)) : el("p", { class: "muted" }, "none"),
      el("h2", {}, "Checkpoints"), el("p", { id: "checkpoints" }, t.checkpoints.length ? `at steps ${t.checkpoints.join(", ")}` : "none"),
      el("h2", {}, "User attributes"), kvTable("user-attrs", t.user_attrs),
      el("h2", {}, "System attributes"), kvTable("system-attrs", t.system_attrs),
      el("h2", {}, "Distributions"), kvTable("distributions", t.distributions));
    const traces = [{ type: "scatter", mode: "lines+markers", x: t.iv.map((p) => p[0]), y: t.iv.map((p) => p[1]), name: "reports" }];
    if (t.superseded.length) traces.push({ type: "scatter", mode: "markers", x: t.superseded.map((p) => p[0]), y: t.superseded.map((p) => p[1]), name: "superseded", marker: { color: "#9e9e9e" } });
    plot("plot-trial-curve", traces, { title: { text: "Reports" }, xaxis: { title: { text: "step" } },
      shapes: t.changes.map((c) => ({ type: "line", x0: c.step - 0.5, x1: c.step - 0.5, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#e91e63" } })) });
    ready();
  }
  await render();
  setInterval(() => render().catch(() => {}), POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  setupToken();
  const page = document.body.dataset.page;
  const run = page === "studies" ? studiesPage : page === "study" ? studyPage : trialPage;
  run().catch((e) => { document.getElementById("main").replaceChildren(el("p", { class: "warn" }, String(e.message || e))); });
});
