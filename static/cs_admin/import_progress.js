/* Poll an import's progress JSON while it runs; reload the page (with the summary) once done. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.done === "1") {
    return;
  }
  var bar = box.querySelector(".cs-progress");
  var fill = bar.querySelector("span");

  function show(progress) {
    fill.style.width = progress.percent + "%";
    bar.setAttribute("aria-valuenow", progress.percent);
    document.getElementById("import-percent").textContent = progress.percent;
    document.getElementById("import-status").textContent = progress.status_label;
    document.getElementById("import-rows").textContent = progress.rows_processed;
    document.getElementById("import-imported").textContent = progress.rows_imported;
    document.getElementById("import-invalid").textContent = progress.rows_invalid;
    document.getElementById("import-duplicate").textContent = progress.rows_duplicate;
  }

  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (progress) {
        show(progress);
        if (progress.done) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  window.setTimeout(poll, 500);
})();
