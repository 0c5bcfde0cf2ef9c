// Draws a case's BPMN diagram with bpmn-js (served from this app) and marks its progress.
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: container });
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
      canvas.zoom("fit-viewport");
      container.dataset.ready = "true";
    })
    .catch(function (error) {
      container.dataset.ready = "error";
      container.textContent = "Diagram tidak dapat ditampilkan (" + error.message + ").";
    });
}());
