// ganbook ui: the little the pages do in the browser. No dependencies.
// Everything also works without this script, except live updates and
// moving the sliders without a page load.
"use strict";

(function () {
  // Runs page: runs ticked for comparison stay ticked across pages and
  // live updates (sessionStorage); the button compares 2 to 10 of them.
  const selectedKey = "ganbook.compare";
  function selected() {
    try { return JSON.parse(sessionStorage.getItem(selectedKey)) || []; } catch (e) { return []; }
  }
  function setSelected(ids) { sessionStorage.setItem(selectedKey, JSON.stringify(ids)); }

  function initCompareForm() {
    const form = document.getElementById("compare-form");
    if (!form) return;
    const button = document.getElementById("compare-button");
    const count = document.getElementById("compare-count");
    const update = function () {
      const ids = selected();
      form.querySelectorAll('input[name="run"]').forEach(function (box) { box.checked = ids.includes(box.value); });
      const n = ids.length;
      button.disabled = n < 2 || n > 10;
      if (n === 0) count.textContent = "Select 2 to 10 runs to compare.";
      else if (n > 10) count.textContent = n + " selected: at most 10 can be compared.";
      else count.textContent = n + " selected" + (n < 2 ? ": select at least 2." : ".");
    };
    form.addEventListener("change", function (e) {
      if (!e.target.matches('input[name="run"]')) return;
      let ids = selected().filter(function (id) { return id !== e.target.value; });
      if (e.target.checked) ids.push(e.target.value);
      setSelected(ids);
      update();
    });
    form.addEventListener("submit", function (e) {
      // Compare every selected run, those on other pages too.
      e.preventDefault();
      const q = new URLSearchParams();
      selected().forEach(function (id) { q.append("run", id); });
      setSelected([]);
      location.href = "/compare?" + q.toString();
    });
    form.updateSelection = update;
    update();
  }

  // Runs page: the column chooser shows the ticked keys as columns.
  function initColumns() {
    const apply = document.getElementById("columns-apply");
    if (!apply) return;
    apply.addEventListener("click", function () {
      const q = new URLSearchParams(location.search);
      q.delete("col");
      q.delete("page");
      q.set("cols", "1");
      document.querySelectorAll(".col-choice:checked").forEach(function (box) { q.append("col", box.value); });
      location.href = "/?" + q.toString();
    });
  }

  // Runs page: the filter is checked as it is typed; a bad one shows its
  // caret under the fault at once.
  function initFilterCheck() {
    const input = document.getElementById("filter");
    const box = document.getElementById("filter-error");
    if (!input || !box) return;
    const order = document.querySelector('#filter-form input[name="order"]');
    let timer = null, seq = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const mine = ++seq;
        const q = new URLSearchParams({ filter: input.value });
        if (order) q.set("order", order.value);
        let res;
        try {
          res = await (await fetch("/api/filter?" + q.toString(), { cache: "no-store" })).json();
        } catch (e) { return; }
        if (mine !== seq) return;
        if (res.ok) {
          box.hidden = true;
          input.removeAttribute("aria-invalid");
          return;
        }
        box.querySelector(".input").textContent = res.input;
        box.querySelector(".line").textContent = String(res.line);
        box.querySelector(".column").textContent = String(res.column);
        box.querySelector(".msg").textContent = res.message;
        box.querySelector(".caret").textContent = res.caret;
        box.hidden = false;
        input.setAttribute("aria-invalid", "true");
      }, 200);
    });
  }

  // Runs page: while it lists a RUNNING run the page fetches itself and
  // swaps in the new rows (statuses, metrics, new runs), keeping the
  // selection; otherwise it looks for new runs now and then.
  function initRunsLive() {
    const table = document.getElementById("runs-table");
    if (!table) return;
    const every = Math.max(parseInt(table.dataset.pollMs, 10) || 2000, 200);
    async function tick() {
      if (document.hidden) { setTimeout(tick, every); return; }
      let doc;
      try {
        const res = await fetch(location.href, { cache: "no-store" });
        doc = new DOMParser().parseFromString(await res.text(), "text/html");
      } catch (e) {
        setTimeout(tick, every * 2);
        return;
      }
      const fresh = doc.getElementById("runs-table");
      if (fresh) {
        const cur = document.getElementById("runs-table");
        cur.replaceChild(document.importNode(fresh.tBodies[0], true), cur.tBodies[0]);
        if (fresh.dataset.live) cur.dataset.live = "1"; else delete cur.dataset.live;
        ["run-count", "pager"].forEach(function (id) {
          const a = document.getElementById(id), b = doc.getElementById(id);
          if (a && b) a.replaceWith(document.importNode(b, true));
        });
        const form = document.getElementById("compare-form");
        if (form.updateSelection) form.updateSelection();
      }
      const live = document.getElementById("runs-table").dataset.live;
      setTimeout(tick, live ? every : every * 5);
    }
    setTimeout(tick, table.dataset.live ? every : every * 5);
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

  // Compare page: each RUNNING run's status and metrics follow its
  // live.json until it ends.
  function initCompareLive() {
    const table = document.getElementById("compare-runs");
    if (!table) return;
    const every = Math.max(parseInt(table.dataset.pollMs, 10) || 2000, 200);
    document.querySelectorAll("[data-run-status]").forEach(function (badge) {
      if (badge.textContent !== "RUNNING") return;
      const id = badge.dataset.runStatus;
      async function tick() {
        let news;
        try {
          const res = await fetch("/runs/" + encodeURIComponent(id) + "/live.json", { cache: "no-store" });
          if (!res.ok) throw new Error(res.status);
          news = await res.json();
        } catch (e) {
          setTimeout(tick, every * 2);
          return;
        }
        news.metrics.forEach(function (m) {
          const td = document.querySelector('tr[data-metric="' + CSS.escape(m.key) + '"] td[data-run="' + CSS.escape(id) + '"]');
          if (!td) return;
          td.textContent = m.last + " ";
          const min = document.createElement("span");
          min.className = "muted";
          min.textContent = "(min " + m.min + ")";
          td.appendChild(min);
        });
        showStatus(badge, news.status);
        if (news.status === "RUNNING") setTimeout(tick, every);
      }
      setTimeout(tick, every);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initCompareForm();
    initColumns();
    initFilterCheck();
    initRunsLive();
    initCompareLive();
    initSliders();
    initLive();
  });
})();
