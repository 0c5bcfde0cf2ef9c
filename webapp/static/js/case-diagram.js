// Draws a case's BPMN diagram with bpmn-js (served from this app) and marks its progress.
// On a phone the page shows the case's steps as a list; "Tampilkan diagram" opens the diagram too.
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: container });
  var fitter = window.MediasiDiagram;

  function phoneToggle() {
    var button = document.getElementById("bagan-tampilkan");
    var section = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!section) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = section.classList.toggle("bagan-terbuka");
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "Sembunyikan diagram" : "Tampilkan diagram";
      if (open && fitter) { fitter.fit(viewer, container); }
    });
  }

  fetch(container.dataset.src, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      var marks = {
        selesai: (response.headers.get("X-Completed") || "").split(",").filter(Boolean),
        aktif: (response.headers.get("X-Active") || "").split(",").filter(Boolean)
      };
      return response.text().then(function (xml) { return { xml: xml, marks: marks }; });
    })
    .then(function (loaded) {
      return viewer.importXML(loaded.xml).then(function () { return loaded.marks; });
    })
    .then(function (marks) {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      Object.keys(marks).forEach(function (marker) {
        marks[marker].forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, marker); }
        });
      });
      if (fitter) {
        fitter.attach(viewer, container, document.getElementById("diagram-zoom"));
      } else {
        canvas.zoom("fit-viewport");
      }
      phoneToggle();
      container.dataset.ready = "true";
    })
    .catch(function (error) {
      container.dataset.ready = "error";
      container.textContent = "Diagram tidak dapat ditampilkan (" + error.message + ").";
    });
}());
