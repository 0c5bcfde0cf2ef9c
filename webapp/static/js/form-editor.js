// The form editor: checks the JSON as it is typed and shows the form as a user will see it,
// rendered by the server with the same code as task pages.
(function () {
  "use strict";
  var form = document.getElementById("editor-skema");
  if (!form) { return; }
  var area = document.getElementById("skema");
  var check = document.getElementById("skema-periksa");
  var preview = document.getElementById("pratinjau");
  var previewError = document.getElementById("pratinjau-galat");
  var pending = null;
  var asked = 0;

  function syntax() {
    try {
      JSON.parse(area.value);
    } catch (error) {
      area.setAttribute("aria-invalid", "true");
      check.textContent = "JSON tidak valid: " + error.message;
      check.className = "galat";
      return false;
    }
    area.removeAttribute("aria-invalid");
    check.textContent = "JSON valid.";
    check.className = "bantuan";
    return true;
  }

  function showPreview(answer) {
    previewError.hidden = answer.ok;
    previewError.textContent = answer.ok ? "" : answer.message;
    if (answer.ok) { preview.innerHTML = answer.html; }  // escaped HTML from webapp/formrender.py
    form.dataset.previewed = String(asked);  // how many previews have come back, for whoever waits
  }

  function refresh() {
    pending = null;
    if (!syntax()) { return; }
    asked += 1;
    var mine = asked;
    fetch(form.dataset.preview, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": form.dataset.csrf },
      body: JSON.stringify({ skema: area.value })
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) { if (mine === asked) { showPreview(answer); } })
      .catch(function (error) {
        previewError.hidden = false;
        previewError.textContent = "Pratinjau gagal (" + error.message + ").";
      });
  }

  area.addEventListener("input", function () {
    // Wait for a pause in typing before asking the server again.
    if (pending) { window.clearTimeout(pending); }
    if (!syntax()) { return; }
    pending = window.setTimeout(refresh, 400);
  });
  form.addEventListener("submit", function (event) {
    if (!syntax()) { event.preventDefault(); area.focus(); }
  });
  syntax();
}());
