/* Draw every <canvas data-chart-url> with the Chart.js data its URL answers (django-chartjs).
   Kinds: "rates" are percentages (lines that bridge buckets without contacts), "reasons" are
   stacked bars, "money" amounts; the others counts. */
(function () {
  "use strict";

  function fail(canvas, message) {
    canvas.dataset.chartState = "error";
    var note = document.createElement("p");
    note.className = "errornote";
    note.textContent = "This chart could not be loaded (" + message + ").";
    canvas.parentNode.appendChild(note);
  }

  function percent(value) {
    return value + " %";
  }

  function options(kind) {
    var bar = kind === "reasons";
    var ticks = { precision: 0 };
    if (kind === "money") {
      ticks = {};
    } else if (kind === "rates") {
      ticks = { callback: percent };
    }
    var tooltip = {};
    if (kind === "rates") {
      tooltip = {
        callbacks: {
          label: function (item) {
            return item.dataset.label + ": " + percent(item.formattedValue);
          },
        },
      };
    }
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      spanGaps: kind === "rates",
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: bar },
        y: { beginAtZero: true, stacked: bar, ticks: ticks },
      },
      plugins: { legend: { position: "bottom" }, tooltip: tooltip },
    };
  }

  function draw(canvas) {
    if (canvas.dataset.chartState) {
      return; // drawn (or being drawn) already
    }
    canvas.dataset.chartState = "loading";
    fetch(canvas.dataset.chartUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var kind = canvas.dataset.chartKind;
        new window.Chart(canvas, {
          type: kind === "reasons" ? "bar" : "line",
          data: data,
          options: options(kind),
        });
        canvas.dataset.chartState = "ready";
      })
      .catch(function (error) {
        fail(canvas, error.message);
      });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart-url]").forEach(draw);
  }

  // The script may come before some of the page's charts (a panel further down): wait for all.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
