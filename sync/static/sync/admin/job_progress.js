/* Live job progress in the admin: polls the JSON progress endpoint of every running job on the page
   and updates its bar and numbers in place, so the page never reloads. Plain JS, no framework. */
(function () {
  "use strict";
  var INTERVAL_MS = 2000;

  function text(p) {
    var parts = [];
    if (p.percent !== null) { parts.push(p.percent.toFixed(1) + "%"); }
    parts.push((p.total_estimate ? p.seen + " of " + p.total_estimate : String(p.seen)) + " read");
    if (p.running) { parts.push(p.records_per_second.toFixed(1) + " records/s"); }
    parts.push(p.pushed + " pushed, " + p.unchanged + " unchanged, " + p.issues + " issues");
    return parts.join(" \u00b7 ");
  }

  function render(el, p) {
    var fill = el.querySelector(".ib-progress-fill");
    if (fill) { fill.style.width = (p.percent === null ? 0 : p.percent) + "%"; }
    el.querySelector(".ib-progress-text").textContent = text(p);
    el.querySelector(".ib-progress-state").textContent = p.retrying ? "Retrying: " + p.error : p.state_display;
    el.setAttribute("data-running", p.running ? "true" : "false");
    // the job page's counters (sync/admin/jobs.py "Records") follow the same numbers
    var counters = document.querySelectorAll('.ib-live[data-job="' + p.id + '"]');
    for (var i = 0; i < counters.length; i++) {
      var value = p[counters[i].getAttribute("data-field")];
      if (value !== undefined && value !== null) { counters[i].textContent = String(value); }
    }
    el.setAttribute("data-state", p.state);
  }

  function poll(el) {
    var request = new XMLHttpRequest();
    request.open("GET", el.getAttribute("data-progress-url"));
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status !== 200) { return; }  // gone or no longer ours: stop quietly
      var p = JSON.parse(request.responseText);
      render(el, p);
      if (p.running) { window.setTimeout(function () { poll(el); }, INTERVAL_MS); }
    };
    request.send();
  }

  function start() {
    var nodes = document.querySelectorAll(".ib-progress[data-progress-url]");
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute("data-running") === "true") { poll(nodes[i]); }
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
