/* Zoom for the server-side SVG drawings (timeline, genogram). Hand-written, no dependencies.

   Markup: <div class="drawing-zoom" data-drawing="timeline">
             <div class="drawing-tools"> buttons with data-zoom="in" | "out" | "fit" </div>
             <div class="drawing-viewport" tabindex="0" role="region" aria-label="..."> <svg> </div>
           </div>
   The drawing opens fitted to the width (never smaller than MIN_OPEN, or the zoom's
   data-min-open, so that it stays legible on a phone), scrolled to the present (the "today" marker of the timeline, the right edge).
   Keys when the viewport has focus: + or = zoom in, - zoom out, 0 fit to the width. A zoom the
   user chose is kept when htmx swaps the drawing in again (a new event added). */
(function () {
  "use strict";
  var STEP = 1.25;
  var MIN = 0.2;
  var MAX = 3;
  var MIN_OPEN = 0.55;
  var chosen = {}; // data-drawing -> scale the user picked

  function natural(svg) {
    var box = svg.viewBox && svg.viewBox.baseVal;
    if (box && box.width) return { w: box.width, h: box.height };
    return { w: parseFloat(svg.getAttribute("width")) || 1, h: parseFloat(svg.getAttribute("height")) || 1 };
  }

  function fitScale(viewport, svg) {
    var room = viewport.clientWidth - 2;
    return Math.min(1, room / natural(svg).w);
  }

  function presentX(svg) {
    var today = svg.querySelector('[data-kind="marker-today"]');
    return today ? parseFloat(today.getAttribute("x1")) : null;
  }

  function setScale(zoom, scale, anchor) {
    var viewport = zoom.querySelector(".drawing-viewport");
    var svg = viewport && viewport.querySelector("svg");
    if (!svg) return;
    scale = Math.max(MIN, Math.min(MAX, scale));
    var size = natural(svg);
    var old = zoom._scale || scale;
    // Keep the point in the middle of the view (or `anchor`, in drawing units) where it is.
    var middle = anchor;
    if (middle === undefined) middle = (viewport.scrollLeft + viewport.clientWidth / 2) / old;
    svg.style.width = size.w * scale + "px";
    svg.style.height = size.h * scale + "px";
    svg.style.maxWidth = "none";
    zoom._scale = scale;
    viewport.scrollLeft = middle * scale - viewport.clientWidth / 2;
    var label = zoom.querySelector("[data-zoom-level]");
    if (label) label.textContent = Math.round(scale * 100) + "%";
  }

  function openAtPresent(zoom) {
    var viewport = zoom.querySelector(".drawing-viewport");
    var svg = viewport && viewport.querySelector("svg");
    if (!svg) return;
    var key = zoom.getAttribute("data-drawing") || "";
    var least = parseFloat(zoom.getAttribute("data-min-open")) || MIN_OPEN;
    var scale = chosen[key] || Math.min(1, Math.max(fitScale(viewport, svg), least));
    zoom._scale = scale;
    setScale(zoom, scale, 0);
    // The present at the right of the view, with a little room after it.
    var present = presentX(svg);
    viewport.scrollLeft = present === null ? 0 : present * scale - viewport.clientWidth + 40;
  }

  function act(zoom, what) {
    var viewport = zoom.querySelector(".drawing-viewport");
    var svg = viewport && viewport.querySelector("svg");
    if (!svg) return;
    var scale = zoom._scale || 1;
    if (what === "in") scale *= STEP;
    else if (what === "out") scale /= STEP;
    else scale = fitScale(viewport, svg);
    chosen[zoom.getAttribute("data-drawing") || ""] = scale;
    setScale(zoom, scale);
  }

  function init(root) {
    var zooms = root.querySelectorAll ? root.querySelectorAll(".drawing-zoom") : [];
    if (root.classList && root.classList.contains("drawing-zoom")) zooms = [root];
    Array.prototype.forEach.call(zooms, function (zoom) {
      if (zoom._ready) return;
      zoom._ready = true;
      zoom.addEventListener("click", function (event) {
        var button = event.target.closest("[data-zoom]");
        if (button && zoom.contains(button)) act(zoom, button.getAttribute("data-zoom"));
      });
      var viewport = zoom.querySelector(".drawing-viewport");
      if (viewport) {
        viewport.addEventListener("keydown", function (event) {
          if (event.ctrlKey || event.metaKey || event.altKey) return;
          var key = { "+": "in", "=": "in", "-": "out", _: "out", "0": "fit" }[event.key];
          if (!key) return;
          event.preventDefault();
          act(zoom, key);
        });
      }
      openAtPresent(zoom);
    });
  }

  function start() {
    init(document);
    if (window.htmx) window.htmx.onLoad(init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
