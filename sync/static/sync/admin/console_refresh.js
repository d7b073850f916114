/* Refreshes a console block in place: every element with data-refresh-url is replaced by what that URL answers
   (server-rendered HTML) every data-refresh-seconds, so an outage line appears and clears without a reload.
   Plain JS, no framework; a failed fetch keeps the last content and tries again. */
(function () {
  "use strict";

  function refresh(el) {
    var seconds = parseFloat(el.getAttribute("data-refresh-seconds") || "10");
    var request = new XMLHttpRequest();
    request.open("GET", el.getAttribute("data-refresh-url"));
    request.setRequestHeader("Accept", "text/html");
    request.onload = function () {
      if (request.status === 200) {
        el.innerHTML = request.responseText;
        el.setAttribute("data-refreshed-at", new Date().toISOString());
      }
      window.setTimeout(function () { refresh(el); }, seconds * 1000);
    };
    request.onerror = function () { window.setTimeout(function () { refresh(el); }, seconds * 1000); };
    request.send();
  }

  function start() {
    var nodes = document.querySelectorAll("[data-refresh-url]");
    for (var i = 0; i < nodes.length; i++) {
      (function (el) {
        var seconds = parseFloat(el.getAttribute("data-refresh-seconds") || "10");
        window.setTimeout(function () { refresh(el); }, seconds * 1000);
      })(nodes[i]);
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
