// Fits a bpmn-js viewer to its box and gives it zoom buttons; used by the case, audit and version pages.
// The box takes the drawn diagram's shape (within bounds) and the diagram fills it, after each import,
// when the window's width changes, and on "Sesuaikan". The canvas is the only focusable part, named
// for screen readers (the box itself has no role, so nothing interactive sits inside an image).
window.MediasiDiagram = (function () {
  "use strict";
  var MIN_HEIGHT = 200;     // px: a flatter box is too thin to pan in
  var MAX_SHARE = 0.75;     // of the window's height: the page must stay scrollable around it
  var ZOOM_STEP = 1.25;
  var ZOOM_RANGE = [0.05, 4];

  function shown(container) { return container.clientWidth > 0 && container.clientHeight > 0; }

  // The drawn diagram's bounds in diagram units, read from the SVG (zero while the box is hidden).
  function drawn(viewer) {
    return viewer.get("canvas").viewbox().inner;
  }

  function sizeBox(viewer, container) {
    var inner = drawn(viewer);
    if (!inner.width || !inner.height) { return; }
    var wanted = container.clientWidth * inner.height / inner.width;
    var height = Math.max(MIN_HEIGHT, Math.min(wanted, window.innerHeight * MAX_SHARE));
    container.style.height = Math.round(height) + "px";
  }

  function fit(viewer, container) {
    if (!shown(container)) { return; }
    var canvas = viewer.get("canvas");
    sizeBox(viewer, container);
    canvas.resized();
    canvas.zoom("fit-viewport", "auto");
    container.dataset.zoom = String(canvas.zoom());
  }

  function zoomBy(viewer, container, factor) {
    var canvas = viewer.get("canvas");
    var scale = Math.min(ZOOM_RANGE[1], Math.max(ZOOM_RANGE[0], canvas.zoom() * factor));
    canvas.zoom(scale, "auto");
    container.dataset.zoom = String(canvas.zoom());
  }

  function name(container) {
    var svg = container.querySelector("svg[tabindex]");
    if (!svg || !container.dataset.label) { return; }
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", container.dataset.label);
    if (container.dataset.describedby) { svg.setAttribute("aria-describedby", container.dataset.describedby); }
  }

  // Buttons with data-zoom="in|out|fit" inside `toolbar` zoom the viewer; the toolbar shows once it works.
  function controls(viewer, container, toolbar) {
    if (!toolbar) { return; }
    toolbar.querySelectorAll("button[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.dataset.zoom;
        if (action === "fit") { fit(viewer, container); } else { zoomBy(viewer, container, action === "in" ? ZOOM_STEP : 1 / ZOOM_STEP); }
      });
    });
    toolbar.hidden = false;
  }

  // Refit when the window's width changes (a phone's height changes as its address bar scrolls away).
  function followWidth(viewer, container) {
    var width = window.innerWidth;
    var pending = false;
    window.addEventListener("resize", function () {
      if (pending || window.innerWidth === width) { return; }
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        width = window.innerWidth;
        fit(viewer, container);
      });
    });
  }

  // Call once per viewer, after its first import.
  function attach(viewer, container, toolbar) {
    name(container);
    controls(viewer, container, toolbar);
    followWidth(viewer, container);
    fit(viewer, container);
  }

  return { attach: attach, fit: fit };
}());
