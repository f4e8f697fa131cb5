/* Draw every <canvas data-chart-url> with the Chart.js data its URL answers (django-chartjs). */
(function () {
  "use strict";

  function fail(canvas, message) {
    canvas.dataset.chartState = "error";
    var note = document.createElement("p");
    note.className = "errornote";
    note.textContent = "This chart could not be loaded (" + message + ").";
    canvas.parentNode.appendChild(note);
  }

  function draw(canvas) {
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
        var money = canvas.dataset.chartKind === "money";
        new window.Chart(canvas, {
          type: "line",
          data: data,
          options: {
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            interaction: { mode: "index", intersect: false },
            scales: { y: { beginAtZero: true, ticks: money ? {} : { precision: 0 } } },
            plugins: { legend: { position: "bottom" } },
          },
        });
        canvas.dataset.chartState = "ready";
      })
      .catch(function (error) {
        fail(canvas, error.message);
      });
  }

  document.querySelectorAll("canvas[data-chart-url]").forEach(draw);
})();
