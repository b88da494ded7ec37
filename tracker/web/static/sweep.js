// ganbook ui, the sweep page: a parallel-coordinates plot of the trials'
// params and a final metric, and a scatter of a param against a metric,
// drawn as SVG from the JSON in #sweep-plots[data-plot]. Each line and
// point is a link to its run. Needs charts.js (loaded before) for
// ganbookFormat, not uPlot.
"use strict";

(function () {
  const root = document.getElementById("sweep-plots");
  if (!root) return;
  const data = JSON.parse(root.dataset.plot);
  const NS = "http://www.w3.org/2000/svg";
  const tip = document.getElementById("plot-tip");
  const pcMetric = document.getElementById("pc-metric");
  const scParam = document.getElementById("sc-param");
  const scMetric = document.getElementById("sc-metric");
  const paramAxis = {};
  data.params.forEach(function (a) { paramAxis[a.key] = a; });

  // Plot geometry, in CSS pixels (each SVG's viewBox is its pixel size).
  const HEIGHT = 400;
  const PC = { left: 80, right: 90, top: 46, bottom: 30 };
  const SC = { left: 80, right: 30, top: 20, bottom: 50 };

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, cls, anchor) {
    const t = el("text", { x: x, y: y, class: cls || "", "text-anchor": anchor || "middle" }, parent);
    t.textContent = s;
    return t;
  }
  function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }
  const fmt = window.ganbookFormat; // charts.js: as tracker.FormatMetric
  function fillSelect(sel, keys, chosen) {
    keys.forEach(function (k) {
      const o = document.createElement("option");
      o.value = k;
      o.textContent = k;
      if (k === chosen) o.selected = true;
      sel.appendChild(o);
    });
  }

  // Where a param's value sits on its axis, from 0 (bottom, left) to 1:
  // categories in their sorted order, ends included; numbers linearly or,
  // for those spanning over a decade, on a log scale.
  function paramFrac(axis, raw) {
    if (!axis.numeric) {
      const n = axis.categories.length;
      return n > 1 ? axis.categories.indexOf(raw) / (n - 1) : 0.5;
    }
    const v = parseFloat(raw);
    if (axis.max === axis.min) return 0.5;
    if (axis.log) return (Math.log(v) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min));
    return (v - axis.min) / (axis.max - axis.min);
  }
  function paramTicks(axis) {
    if (!axis.numeric) {
      return axis.categories.map(function (c) { return { frac: paramFrac(axis, c), label: c === "" ? "(unset)" : c }; });
    }
    let values = axis.values;
    if (values.length > 8) {
      values = [0, 0.25, 0.5, 0.75, 1].map(function (f) {
        return axis.log ? Math.exp(Math.log(axis.min) + f * (Math.log(axis.max) - Math.log(axis.min))) : axis.min + f * (axis.max - axis.min);
      });
    }
    return values.map(function (v) { return { frac: paramFrac(axis, String(v)), label: fmt(v) }; });
  }

  // A metric's linear scale over the runs' finite final values.
  function metricScale(key) {
    const vals = data.runs.map(function (r) { return r.metrics[key]; }).filter(function (v) { return v !== null && v !== undefined; });
    const s = { min: Math.min.apply(null, vals), max: Math.max.apply(null, vals), count: vals.length };
    s.frac = function (v) {
      if (v === null || v === undefined) return null;
      return s.max > s.min ? (v - s.min) / (s.max - s.min) : 0.5;
    };
    s.ticks = function () {
      if (!s.count) return [];
      if (s.max === s.min) return [{ frac: 0.5, label: fmt(s.min) }];
      return [0, 0.25, 0.5, 0.75, 1].map(function (f) { return { frac: f, label: fmt(s.min + f * (s.max - s.min)) }; });
    };
    return s;
  }

  // Viridis, sampled: low values dark blue, high values yellow.
  const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function colour(frac) {
    if (frac === null) return "#b0b0b0";
    const x = Math.min(Math.max(frac, 0), 1) * (VIRIDIS.length - 1);
    const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
    const t = x - i;
    const c = VIRIDIS[i].map(function (a, k) { return Math.round(a + t * (VIRIDIS[i + 1][k] - a)); });
    return "rgb(" + c.join(",") + ")";
  }

  function size(svg) {
    const w = Math.max(svg.parentNode.clientWidth, 360);
    svg.setAttribute("width", w);
    svg.setAttribute("height", HEIGHT);
    svg.setAttribute("viewBox", "0 0 " + w + " " + HEIGHT);
    return w;
  }

  function gradient(svg, id) {
    const g = el("linearGradient", { id: id, x1: 0, y1: 1, x2: 0, y2: 0 }, el("defs", {}, svg));
    VIRIDIS.forEach(function (c, i) {
      el("stop", { offset: (100 * i / (VIRIDIS.length - 1)) + "%", "stop-color": "rgb(" + c.join(",") + ")" }, g);
    });
  }

  function showTip(e, run, lines) {
    tip.textContent = "";
    const head = document.createElement("strong");
    head.textContent = run.name;
    tip.appendChild(head);
    [["run", run.id], ["trial", run.trial], ["status", run.status]].concat(lines).forEach(function (kv) {
      const d = document.createElement("div");
      d.textContent = kv[0] + ": " + kv[1];
      tip.appendChild(d);
    });
    tip.hidden = false;
    tip.style.left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + "px";
    tip.style.top = (e.clientY + 14) + "px";
  }
  function hideTip() { tip.hidden = true; }

  // link wraps a run's marks in a link to its page, shows the hover
  // readout, and draws a copy of its mark in the front layer, so that the
  // hovered run shows above the others without moving in the document (a
  // node moved between mouse down and up would lose the click).
  function link(parent, front, run, cls, lines) {
    const a = el("a", { href: run.url, class: cls, "data-run": run.id, "aria-label": "run " + run.name + " (" + run.id + ")" }, parent);
    a.addEventListener("mouseenter", function () {
      clear(front);
      const mark = a.querySelector(".pc-line, .sc-point");
      if (mark) front.appendChild(mark.cloneNode(false)).classList.add("front");
    });
    a.addEventListener("mousemove", function (e) { showTip(e, run, lines); });
    a.addEventListener("mouseleave", function () { clear(front); hideTip(); });
    return a;
  }

  function drawPcoords() {
    const svg = document.getElementById("pcoords");
    clear(svg);
    const w = size(svg);
    const metric = pcMetric.value;
    const ms = metricScale(metric);
    const axes = data.axes.map(function (a) {
      return { key: a.key, ticks: paramTicks(a), frac: function (r) { return paramFrac(a, r.params[a.key]); }, value: function (r) { return r.params[a.key]; }, log: a.log };
    });
    axes.push({ key: metric, metric: true, ticks: ms.ticks(), frac: function (r) { return ms.frac(r.metrics[metric]); }, value: function (r) { return fmt(r.metrics[metric]); } });
    const top = PC.top, bottom = HEIGHT - PC.bottom;
    // Room on the left for the first axis's tick labels.
    const longest = Math.max.apply(null, axes[0].ticks.map(function (t) { return t.label.length; }).concat([4]));
    const left = Math.min(Math.max(PC.left, 14 + 7 * longest), w / 3);
    const xs = axes.map(function (_, i) {
      return axes.length === 1 ? w / 2 : left + i * (w - left - PC.right) / (axes.length - 1);
    });
    const y = function (f) { return bottom - f * (bottom - top); };

    const lines = el("g", { class: "pc-lines" }, svg);
    const front = el("g", { class: "front-layer" }, svg);
    const order = data.runs.slice().sort(function (a, b) {
      // The best-coloured runs on top: drawn last.
      const fa = ms.frac(a.metrics[metric]), fb = ms.frac(b.metrics[metric]);
      return (fa === null ? -1 : fa) - (fb === null ? -1 : fb);
    });
    order.forEach(function (run) {
      const pts = [];
      axes.forEach(function (ax, i) {
        const f = ax.frac(run);
        if (f !== null && !isNaN(f)) pts.push(xs[i].toFixed(2) + "," + y(f).toFixed(2));
      });
      const readout = axes.map(function (ax) { return [ax.key, ax.value(run)]; });
      const a = link(lines, front, run, "pc-run", readout);
      el("polyline", { class: "pc-hit", points: pts.join(" ") }, a);
      el("polyline", { class: "pc-line", points: pts.join(" "), stroke: colour(ms.frac(run.metrics[metric])) }, a);
    });

    const axesG = el("g", { class: "pc-axes" }, svg);
    axes.forEach(function (ax, i) {
      const g = el("g", { class: "pc-axis-group" }, axesG);
      el("line", { class: "pc-axis", "data-key": ax.key, x1: xs[i], x2: xs[i], y1: top, y2: bottom }, g);
      text(g, xs[i], top - 24, ax.key, "pc-label");
      text(g, xs[i], top - 10, ax.metric ? "final" : ax.log ? "log scale" : "", "pc-sub");
      ax.ticks.forEach(function (t) {
        el("line", { class: "tick", x1: xs[i] - 4, x2: xs[i], y1: y(t.frac), y2: y(t.frac) }, g);
        text(g, xs[i] - 7, y(t.frac) + 4, t.label, "tick-label", "end");
      });
    });
    gradient(svg, "pc-gradient");
    el("rect", { class: "pc-colour-bar", x: xs[xs.length - 1] + 14, y: top, width: 10, height: bottom - top, fill: "url(#pc-gradient)" }, svg);
    if (!ms.count) text(svg, w / 2, HEIGHT / 2, "No run logged " + metric + ".", "empty-plot");
  }

  function drawScatter() {
    const svg = document.getElementById("scatter");
    clear(svg);
    const w = size(svg);
    const axis = paramAxis[scParam.value];
    const metric = scMetric.value;
    const ms = metricScale(metric);
    const left = SC.left, right = w - SC.right, top = SC.top, bottom = HEIGHT - SC.bottom;
    if (!axis) {
      text(svg, w / 2, HEIGHT / 2, "No param varies in this sweep.", "empty-plot");
      return;
    }
    // Categories sit in the middle of equal bands; numbers span the axis.
    const xFrac = function (raw) {
      if (axis.numeric) return paramFrac(axis, raw);
      return (axis.categories.indexOf(raw) + 0.5) / axis.categories.length;
    };
    // The data keep clear of the axes: a point at an end of a range
    // would sit on an axis line.
    const pad = 16;
    const x = function (f) { return left + pad + f * (right - left - 2 * pad); };
    const y = function (f) { return bottom - pad - f * (bottom - top - 2 * pad); };

    const g = el("g", { class: "sc-axes" }, svg);
    el("line", { class: "sc-axis", x1: left, x2: right, y1: bottom, y2: bottom }, g);
    el("line", { class: "sc-axis", x1: left, x2: left, y1: top, y2: bottom }, g);
    const xTicks = axis.numeric ? paramTicks(axis) : axis.categories.map(function (c) { return { frac: xFrac(c), label: c === "" ? "(unset)" : c }; });
    xTicks.forEach(function (t) {
      el("line", { class: "tick x-tick", x1: x(t.frac), x2: x(t.frac), y1: bottom, y2: bottom + 4 }, g);
      text(g, x(t.frac), bottom + 17, t.label, "tick-label");
    });
    text(g, (left + right) / 2, HEIGHT - 8, axis.key + (axis.log ? " (log scale)" : ""), "pc-label");
    ms.ticks().forEach(function (t) {
      el("line", { class: "tick y-tick", x1: left - 4, x2: left, y1: y(t.frac), y2: y(t.frac) }, g);
      text(g, left - 7, y(t.frac) + 4, t.label, "tick-label", "end");
    });
    const yl = text(g, 16, (top + bottom) / 2, "final " + metric, "pc-label");
    yl.setAttribute("transform", "rotate(-90 16 " + (top + bottom) / 2 + ")");

    const points = el("g", { class: "sc-points" }, svg);
    const front = el("g", { class: "front-layer" }, svg);
    data.runs.forEach(function (run) {
      const fy = ms.frac(run.metrics[metric]);
      if (fy === null) return;
      const a = link(points, front, run, "sc-run", [[axis.key, run.params[axis.key]], [metric, fmt(run.metrics[metric])]]);
      el("circle", { class: "sc-point", cx: x(xFrac(run.params[axis.key])).toFixed(2), cy: y(fy).toFixed(2), r: 6, fill: colour(fy) }, a);
    });
    if (!ms.count) text(svg, w / 2, HEIGHT / 2, "No run logged " + metric + ".", "empty-plot");
  }

  if (!data.metrics.length) {
    root.textContent = "The sweep's runs logged no metrics yet: nothing to plot.";
    return;
  }
  fillSelect(pcMetric, data.metrics, data.metric);
  fillSelect(scMetric, data.metrics, data.metric);
  const firstParam = data.axes.length ? data.axes[0].key : (data.params.length ? data.params[0].key : "");
  fillSelect(scParam, data.params.map(function (a) { return a.key; }), firstParam);
  pcMetric.addEventListener("change", drawPcoords);
  scParam.addEventListener("change", drawScatter);
  scMetric.addEventListener("change", drawScatter);
  let resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { drawPcoords(); drawScatter(); }, 100);
  });
  drawPcoords();
  drawScatter();
  root.dataset.drawn = "1";
})();
