// ganbook ui: the metric charts, drawn in the browser with uPlot (vendored
// under static/vendor/uplot). The server sends each chart's series already
// downsampled (envelope + LTTB) from /api/series; a live run's chart asks
// /api/since for the points logged after its last step and appends them.
//
// Every chart: a hover readout of every run's value at the cursor (the
// legend; the cursor is synced across the page's charts), zoom by dragging,
// pan with Shift+drag or the arrow keys, a reset button (or double click),
// and the page's controls: smoothing (TensorBoard's debiased exponential
// moving average), linear or log y, step or wall-time x. When a series is
// downsampled, the min–max band of each envelope range is drawn behind its
// line while the view is zoomed out.
"use strict";

(function () {
  // The run colours: style.css .c0–.c9 have the same.
  const palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

  // fmt writes a value as tracker.FormatMetric does: five significant
  // digits (Go's %.5g), NaN, +Inf and -Inf.
  function fmt(v) {
    if (v === null || v === undefined) return "—";
    if (Number.isNaN(v)) return "NaN";
    if (v === Infinity) return "+Inf";
    if (v === -Infinity) return "-Inf";
    if (v === 0) return Object.is(v, -0) ? "-0" : "0";
    const [mant, e] = v.toExponential(4).split("e");
    const exp = parseInt(e, 10);
    if (exp < -4 || exp >= 5) {
      const m = mant.includes(".") ? mant.replace(/0+$/, "").replace(/\.$/, "") : mant;
      return m + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
    }
    const s = v.toFixed(Math.max(0, 4 - exp));
    return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  }

  // smooth applies TensorBoard's debiased exponential moving average with
  // weight w in [0, 1): the first values are not pulled toward 0.
  function smooth(values, w) {
    if (!(w > 0)) return values.slice();
    const out = new Array(values.length);
    let last = 0, n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || !Number.isFinite(v)) { out[i] = v; continue; }
      last = last * w + (1 - w) * v;
      n++;
      out[i] = last / (1 - Math.pow(w, n));
    }
    return out;
  }

  // The page's chart settings, shared by every chart on it.
  const settings = { smoothing: 0, logY: false, xMode: "step" };
  const charts = [];
  window.ganbookCharts = charts; // for the browser tests and the console

  function formatX(mode, v) {
    if (v === null || v === undefined) return "—";
    if (mode === "wall") return new Date(v * 1000).toLocaleString();
    return String(Math.round(v));
  }

  class Chart {
    constructor(el) {
      this.el = el;
      this.key = el.dataset.key;
      this.seriesURL = el.dataset.seriesUrl;
      this.pollMS = Math.max(parseInt(el.dataset.pollMs, 10) || 2000, 200);
      this.runs = [];
      this.u = null;
      this.zoomed = false;
      this.plot = el.querySelector(".uchart-plot");
      this.note = el.querySelector(".uchart-note");
      el.querySelector(".uchart-reset").addEventListener("click", () => this.reset());
      this.plot.addEventListener("keydown", (e) => this.onKey(e));
      this.load();
    }

    async load() {
      try {
        const res = await fetch(this.seriesURL, { cache: "no-store" });
        if (!res.ok) throw new Error((await res.json()).error || res.status);
        const data = await res.json();
        this.runs = data.runs;
      } catch (e) {
        this.note.textContent = "Cannot load the series: " + e.message;
        return;
      }
      this.draw();
      this.el.dataset.loaded = "1";
      if (charts.every((c) => c.el.dataset.loaded) && performance.getEntriesByName("charts-drawn").length === 0) {
        performance.mark("charts-drawn"); // read by the browser benchmark
      }
      if (this.runs.some((r) => r.status === "RUNNING")) this.schedule();
    }

    schedule() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.poll(), this.pollMS);
    }

    // poll appends what the running runs logged since the chart's last step.
    async poll() {
      const running = this.runs.filter((r) => r.status === "RUNNING");
      if (running.length === 0) return;
      const q = new URLSearchParams({ key: this.key });
      running.forEach((r) => q.append("run", r.id + ":" + r.last_step));
      let news;
      try {
        const res = await fetch("/api/since?" + q.toString(), { cache: "no-store" });
        if (!res.ok) throw new Error(res.status);
        news = await res.json();
      } catch (e) {
        this.timer = setTimeout(() => this.poll(), this.pollMS * 2);
        return;
      }
      let grew = false, behind = false;
      news.runs.forEach((n) => {
        const r = this.runs.find((r) => r.id === n.id);
        if (!r) return;
        r.status = n.status;
        if (n.behind) { behind = true; return; }
        for (let i = 0; i < n.step.length; i++) {
          r.step.push(n.step[i]); r.time.push(n.time[i]); r.value.push(n.value[i]);
          r.lo.push(n.value[i]); r.hi.push(n.value[i]);
          grew = true;
        }
        r.non_finite += n.non_finite;
        r.total += n.step.length + n.non_finite;
        r.last_step = Math.max(r.last_step, n.last_step);
      });
      // Too far behind, or too many points appended: fetch the series
      // downsampled again.
      if (behind || this.runs.some((r) => r.step.length > 5000)) { this.load(); return; }
      if (grew) this.update();
      if (this.runs.some((r) => r.status === "RUNNING")) this.schedule();
    }

    // tables returns each run's [x, smoothed y] sorted by x, and the raw
    // values, band and x of each run for the underlay.
    prepare() {
      const xOf = settings.xMode === "wall" ? (r, i) => r.time[i] / 1000 : (r, i) => r.step[i];
      return this.runs.map((r) => {
        const idx = r.step.map((_, i) => i);
        const xs = idx.map((i) => xOf(r, i));
        idx.sort((a, b) => xs[a] - xs[b]);
        const x = [], raw = [], lo = [], hi = [];
        idx.forEach((i) => {
          if (x.length > 0 && x[x.length - 1] === xs[i]) { // a repeated x: keep the last
            raw[raw.length - 1] = r.value[i]; lo[lo.length - 1] = r.lo[i]; hi[hi.length - 1] = r.hi[i];
            return;
          }
          x.push(xs[i]); raw.push(r.value[i]); lo.push(r.lo[i]); hi.push(r.hi[i]);
        });
        const pos = (v) => (settings.logY && !(v > 0) ? null : v);
        return { run: r, x, raw: raw.map(pos), lo: lo.map(pos), hi: hi.map(pos), y: smooth(raw, settings.smoothing).map(pos) };
      });
    }

    aligned() {
      this.prepared = this.prepare();
      if (this.prepared.length === 0) return [[]];
      return uPlot.join(this.prepared.map((p) => [p.x, p.y]));
    }

    fullRange() {
      let lo = Infinity, hi = -Infinity;
      (this.prepared || []).forEach((p) => {
        if (p.x.length) { lo = Math.min(lo, p.x[0]); hi = Math.max(hi, p.x[p.x.length - 1]); }
      });
      return lo <= hi ? [lo, hi] : [0, 1];
    }

    notes() {
      const parts = [];
      const nonFinite = this.runs.reduce((a, r) => a + r.non_finite, 0);
      const points = this.runs.reduce((a, r) => a + r.step.length, 0);
      if (points === 0) parts.push(nonFinite > 0 ? "No finite value to draw (" + nonFinite + " NaN/Inf points)." : "No points yet.");
      else if (nonFinite > 0) parts.push(nonFinite + " NaN/Inf points not drawn.");
      if (this.runs.some((r) => r.downsampled)) {
        const total = this.runs.reduce((a, r) => a + r.total, 0);
        parts.push(points.toLocaleString("en") + " of " + total.toLocaleString("en") + " points drawn; the band spans each range's min and max.");
      }
      if (settings.logY && this.prepared && this.prepared.some((p) => p.raw.some((v) => v === null))) parts.push("Values ≤ 0 are not drawn on the log scale.");
      this.note.textContent = parts.join(" ");
    }

    draw() {
      if (this.u) { this.u.destroy(); this.u = null; }
      this.zoomed = false;
      const data = this.aligned();
      const self = this;
      // At rest (no cursor) the readout shows each run's latest value.
      const series = [{ label: settings.xMode === "wall" ? "time" : "step", value: (u, v, si, idx) => (idx === null ? "latest" : formatX(settings.xMode, v)) }];
      this.runs.forEach((r) => {
        series.push({
          label: r.name, stroke: palette[r.color % palette.length], width: 1.5, spanGaps: true,
          points: { show: (u, si) => self.prepared[si - 1].x.length === 1 },
          value: (u, v, si, idx) => fmt(idx === null ? lastValue(u.data[si]) : v),
        });
      });
      const opts = {
        width: Math.max(this.plot.clientWidth, 200), height: 240,
        series,
        scales: { x: { time: settings.xMode === "wall" }, y: { distr: settings.logY ? 3 : 1 } },
        axes: [{ stroke: "#555", grid: { stroke: "#eee" } }, { stroke: "#555", grid: { stroke: "#eee" }, size: 60, values: (u, vals) => vals.map(fmt) }],
        legend: { live: true },
        cursor: {
          sync: { key: "ganbook", setSeries: false },
          drag: { x: true, y: false, setScale: true },
          // The readout shows each run's nearest value: runs are drawn from
          // different steps once downsampled, and joined with gaps.
          dataIdx: (u, si, closest) => nearestNonNull(u.data[si], closest),
          bind: { mousedown: (u, targ, handler) => (e) => (e.shiftKey ? self.startPan(e) : handler(e)) },
        },
        hooks: {
          drawAxes: [(u) => self.underlay(u)],
          setScale: [(u, key) => { if (key === "x") self.zoomed = !self.isFull(); }],
        },
      };
      this.plot.textContent = "";
      this.u = new uPlot(opts, data, this.plot);
      this.plot.tabIndex = 0;
      this.notes();
      if (!this.resizer) {
        this.resizer = new ResizeObserver(() => { if (this.u) this.u.setSize({ width: Math.max(this.plot.clientWidth, 200), height: 240 }); });
        this.resizer.observe(this.plot);
      }
    }

    // update redraws with new data, keeping the view when zoomed.
    update() {
      const keep = this.zoomed ? [this.u.scales.x.min, this.u.scales.x.max] : null;
      this.u.setData(this.aligned(), !keep);
      if (keep) this.u.setScale("x", { min: keep[0], max: keep[1] });
      this.notes();
    }

    isFull() {
      const [lo, hi] = this.fullRange();
      const s = this.u.scales.x;
      return s.min <= lo && s.max >= hi;
    }

    reset() {
      const [lo, hi] = this.fullRange();
      this.u.setScale("x", { min: lo, max: hi });
      this.zoomed = false;
    }

    pan(fraction) {
      const s = this.u.scales.x, d = (s.max - s.min) * fraction;
      this.u.setScale("x", { min: s.min + d, max: s.max + d });
    }

    startPan(e) {
      const u = this.u, x0 = e.clientX, s0 = { min: u.scales.x.min, max: u.scales.x.max };
      const perPx = (s0.max - s0.min) / u.over.clientWidth;
      const move = (ev) => { const d = (ev.clientX - x0) * perPx; u.setScale("x", { min: s0.min - d, max: s0.max - d }); };
      const up = () => { document.removeEventListener("mousemove", move); document.removeEventListener("mouseup", up); };
      document.addEventListener("mousemove", move);
      document.addEventListener("mouseup", up);
      return null;
    }

    onKey(e) {
      if (e.key === "ArrowLeft") this.pan(-0.1);
      else if (e.key === "ArrowRight") this.pan(0.1);
      else if (e.key === "Escape" || e.key === "0") this.reset();
      else return;
      e.preventDefault();
    }

    // underlay draws, behind the lines, each downsampled run's min–max band
    // while zoomed out, and the raw line when smoothing.
    underlay(u) {
      const ctx = u.ctx, b = u.bbox;
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.left, b.top, b.width, b.height);
      ctx.clip();
      const x0 = u.scales.x.min, x1 = u.scales.x.max;
      this.bandsDrawn = 0; // read by the browser tests
      (this.prepared || []).forEach((p) => {
        const colour = palette[p.run.color % palette.length];
        let visible = 0;
        for (const x of p.x) if (x >= x0 && x <= x1) visible++;
        if (p.run.downsampled && visible >= 50) {
          ctx.beginPath();
          let started = false;
          for (let i = 0; i < p.x.length; i++) {
            if (p.hi[i] === null) continue;
            const px = u.valToPos(p.x[i], "x", true), py = u.valToPos(p.hi[i], "y", true);
            if (!started) { ctx.moveTo(px, py); started = true; } else ctx.lineTo(px, py);
          }
          for (let i = p.x.length - 1; i >= 0; i--) {
            if (p.lo[i] === null) continue;
            ctx.lineTo(u.valToPos(p.x[i], "x", true), u.valToPos(p.lo[i], "y", true));
          }
          ctx.closePath();
          this.bandsDrawn++;
          ctx.globalAlpha = 0.18;
          ctx.fillStyle = colour;
          ctx.fill();
          ctx.globalAlpha = 1;
        }
        if (settings.smoothing > 0) {
          ctx.beginPath();
          let started = false;
          for (let i = 0; i < p.x.length; i++) {
            if (p.raw[i] === null) { started = false; continue; }
            const px = u.valToPos(p.x[i], "x", true), py = u.valToPos(p.raw[i], "y", true);
            if (!started) { ctx.moveTo(px, py); started = true; } else ctx.lineTo(px, py);
          }
          ctx.globalAlpha = 0.3;
          ctx.strokeStyle = colour;
          ctx.lineWidth = 1;
          ctx.stroke();
          ctx.globalAlpha = 1;
        }
      });
      ctx.restore();
    }
  }

  // lastValue returns the last non-null value of a series, or null.
  function lastValue(values) {
    for (let i = (values || []).length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i];
    return null;
  }

  // nearestNonNull returns the index of the non-null value nearest to i
  // among those on either side of it, or i when the series has no value on
  // one side (the run's line does not reach there).
  function nearestNonNull(values, i) {
    if (i === null || i === undefined || !values) return i;
    const has = (k) => values[k] !== null && values[k] !== undefined;
    if (has(i)) return i;
    let l = i - 1, r = i + 1;
    while (l >= 0 && !has(l)) l--;
    while (r < values.length && !has(r)) r++;
    if (l < 0 || r >= values.length) return i;
    return i - l <= r - i ? l : r;
  }

  function initControls() {
    const box = document.getElementById("chart-controls");
    if (!box) return;
    const slider = box.querySelector("#smoothing");
    const label = box.querySelector("#smoothing-value");
    const logY = box.querySelector("#log-y");
    const xMode = box.querySelector("#x-mode");
    const redraw = (full) => charts.forEach((c) => { if (c.u) { if (full) c.draw(); else c.update(); } });
    slider.addEventListener("input", () => {
      settings.smoothing = parseFloat(slider.value) || 0;
      label.textContent = settings.smoothing.toFixed(2);
      redraw(false);
    });
    logY.addEventListener("change", () => { settings.logY = logY.checked; redraw(true); });
    xMode.addEventListener("change", () => { settings.xMode = xMode.value; redraw(true); });
    settings.smoothing = parseFloat(slider.value) || 0;
    label.textContent = settings.smoothing.toFixed(2);
  }

  document.addEventListener("DOMContentLoaded", () => {
    initControls();
    document.querySelectorAll(".uchart").forEach((el) => charts.push(new Chart(el)));
  });

  window.ganbookFormat = fmt;
  window.ganbookSmooth = smooth;
})();
