// The version diff page: both diagrams, each element coloured by what happened to it and named for screen readers.
(function () {
  "use strict";
  if (!window.BpmnJS) { return; }
  Array.prototype.forEach.call(document.querySelectorAll(".diagram-beda[data-src]"), function (container) {
    var viewer = new window.BpmnJS({ container: container });
    var marks = JSON.parse(container.dataset.marks || "{}");
    fetch(container.dataset.src, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        Object.keys(marks).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, marks[id]); }
        });
        // The box has no role: the focusable canvas inside it is named (MediasiDiagram), not an image around it.
        if (window.MediasiDiagram) {
          window.MediasiDiagram.attach(viewer, container, null);
        } else {
          canvas.zoom("fit-viewport");
        }
        container.dataset.ready = "true";
      })
      .catch(function (error) {
        container.dataset.ready = "error";
        container.textContent = "Diagram tidak dapat ditampilkan (" + error.message + ").";
      });
  });
}());
