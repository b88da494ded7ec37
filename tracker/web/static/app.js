// ganbook ui: the little the pages do in the browser. No dependencies.
// Everything also works without this script, except live updates and
// moving the sliders without a page load.
"use strict";

(function () {
  // Runs page: the compare button counts the ticked runs (2 to 10).
  function initCompareForm() {
    const form = document.getElementById("compare-form");
    if (!form) return;
    const button = document.getElementById("compare-button");
    const count = document.getElementById("compare-count");
    const update = function () {
      const n = form.querySelectorAll('input[name="run"]:checked').length;
      button.disabled = n < 2 || n > 10;
      if (n === 0) count.textContent = "Select 2 to 10 runs to compare.";
      else if (n > 10) count.textContent = n + " selected: at most 10 can be compared.";
      else count.textContent = n + " selected" + (n < 2 ? ": select at least 2." : ".");
    };
    form.addEventListener("change", update);
    update();
  }

  // The latest index i with steps[i] <= step, or -1.
  function indexAtOrBefore(steps, step) {
    let found = -1;
    for (let i = 0; i < steps.length && steps[i] <= step; i++) found = i;
    return found;
  }

  // Run page: a slider over one image key's steps shows that step's grid.
  function showRunStep(figure) {
    const slider = figure.querySelector(".step-slider");
    const steps = JSON.parse(slider.dataset.steps);
    const i = Math.min(Math.max(parseInt(slider.value, 10) || 0, 0), steps.length - 1);
    const step = steps[i];
    const img = figure.querySelector("img.grid");
    img.src = slider.dataset.baseUrl + step;
    img.alt = figure.dataset.key + " at step " + step;
    figure.querySelector(".step-label").textContent = String(step);
    figure.querySelector(".step-count").textContent = (i + 1) + " of " + steps.length + " grids";
  }

  // Compare page: one slider moves every run's grid to its latest image at
  // or before the chosen step.
  function showCompareStep(group) {
    const slider = group.querySelector(".step-slider");
    const steps = JSON.parse(slider.dataset.steps);
    const step = steps[Math.min(Math.max(parseInt(slider.value, 10) || 0, 0), steps.length - 1)];
    group.querySelector(".step-label").textContent = String(step);
    group.querySelectorAll(".grid-cell").forEach(function (cell) {
      const own = JSON.parse(cell.dataset.steps);
      const j = indexAtOrBefore(own, step);
      const img = cell.querySelector("img.grid");
      const none = cell.querySelector(".no-image");
      if (j < 0) {
        img.hidden = true;
        none.hidden = false;
        cell.querySelector(".cell-step").textContent = "—";
        return;
      }
      img.src = cell.dataset.baseUrl + own[j];
      img.hidden = false;
      none.hidden = true;
      cell.querySelector(".cell-step").textContent = String(own[j]);
    });
  }

  function initSliders() {
    document.querySelectorAll("figure.grid-viewer").forEach(function (figure) {
      figure.querySelector(".step-slider").addEventListener("input", function () { showRunStep(figure); });
      showRunStep(figure);
    });
    document.querySelectorAll(".compare-grids").forEach(function (group) {
      group.querySelector(".step-slider").addEventListener("input", function () { showCompareStep(group); });
    });
  }

  // showStatus sets a status badge's text and colour.
  function showStatus(el, status) {
    el.textContent = status;
    el.className = el.className.replace(/\bstatus-\w+/, "status-" + status.toLowerCase());
  }
  window.ganbookShowStatus = showStatus;

  // Run page of a RUNNING run: poll live.json and update what changed.
  function initLive() {
    const live = document.getElementById("live");
    if (!live) return;
    const url = live.dataset.url;
    const every = Math.max(parseInt(live.dataset.pollMs, 10) || 2000, 200);
    const status = document.getElementById("run-status");
    const known = {};
    document.querySelectorAll("tr[data-metric]").forEach(function (tr) {
      known[tr.dataset.metric] = tr;
    });
    const figures = {};
    document.querySelectorAll("figure.grid-viewer").forEach(function (f) { figures[f.dataset.key] = f; });

    async function tick() {
      let news;
      try {
        const res = await fetch(url, { cache: "no-store" });
        if (!res.ok) throw new Error(res.status);
        news = await res.json();
      } catch (e) {
        setTimeout(tick, every * 2);
        return;
      }
      document.getElementById("run-duration").textContent = news.duration;
      let reload = false;
      news.metrics.forEach(function (m) {
        const tr = known[m.key];
        if (!tr) { reload = true; return; }
        if (tr.querySelector(".m-count").textContent === String(m.count)) return;
        tr.querySelector(".m-last").textContent = m.last;
        tr.querySelector(".m-last-step").textContent = String(m.last_step);
        tr.querySelector(".m-min").textContent = m.min;
        tr.querySelector(".m-min-step").textContent = String(m.min_step);
        tr.querySelector(".m-count").textContent = String(m.count);
      });
      news.images.forEach(function (g) {
        const figure = figures[g.key];
        if (!figure) { reload = true; return; }
        const slider = figure.querySelector(".step-slider");
        const old = JSON.parse(slider.dataset.steps);
        if (old.length === g.steps.length) return;
        const atEnd = parseInt(slider.value, 10) >= old.length - 1;
        slider.dataset.steps = JSON.stringify(g.steps);
        slider.max = String(g.steps.length - 1);
        if (atEnd) slider.value = String(g.steps.length - 1);
        showRunStep(figure);
      });
      if (reload) {
        location.reload(); // a new metric or image key: draw the page again
        return;
      }
      showStatus(status, news.status);
      if (news.status !== "RUNNING") {
        // The run ended (FINISHED, FAILED, or KILLED when its heartbeat
        // stopped): show it in place; the charts stop polling by themselves.
        const err = document.getElementById("run-error");
        if (news.error && !err) {
          const p = document.createElement("p");
          p.className = "run-error";
          p.id = "run-error";
          p.textContent = news.error;
          document.querySelector("dl.facts").after(p);
        }
        live.remove();
        return;
      }
      setTimeout(tick, every);
    }
    setTimeout(tick, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    initCompareForm();
    initSliders();
    initLive();
  });
})();
