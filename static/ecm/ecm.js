/* Small accessibility helpers for every page (issue 18). No dependencies.
   - Cells of a .table-stack table get data-label from their column's header, so the
     narrow-screen layout (ecm.css) can head each cell.
   - A .table-responsive wrapper that really scrolls sideways becomes a focusable, named
     region, so keyboard users can scroll it (axe: scrollable-region-focusable).
   - A button marked data-ecm-print prints the page. */
(function () {
  "use strict";

  function labelStackedTables(root) {
    root.querySelectorAll("table.table-stack").forEach(function (table) {
      var heads = Array.prototype.map.call(
        table.querySelectorAll("thead tr:last-child th"),
        function (th) { return th.textContent.trim(); }
      );
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (heads[i] && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", heads[i]);
          }
        });
      });
    });
  }

  function nameFor(region) {
    var caption = region.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var section = region.closest("section, .card");
    var heading = section && section.querySelector("h1, h2, h3, h4");
    return heading ? heading.textContent.trim() : "";
  }

  function focusableScrollers(root) {
    root.querySelectorAll(".table-responsive").forEach(function (region) {
      var scrolls = region.scrollWidth > region.clientWidth ||
        region.scrollHeight > region.clientHeight;
      if (scrolls && !region.hasAttribute("tabindex")) {
        region.setAttribute("tabindex", "0");
        region.setAttribute("data-ecm-scroller", "");
        var name = nameFor(region);
        if (name) {
          region.setAttribute("role", "group");
          region.setAttribute("aria-label", name);
        }
      } else if (!scrolls && region.hasAttribute("data-ecm-scroller")) {
        ["tabindex", "data-ecm-scroller", "role", "aria-label"].forEach(function (a) {
          region.removeAttribute(a);
        });
      }
    });
  }

  // The navigation collapses behind its toggle rather than overflow or wrap: the template
  // picks a breakpoint by how many links the role has; this collapses it earlier when the
  // links still do not fit (longer names, translations, a narrower window).
  function fitNavbar() {
    var nav = document.querySelector("nav.navbar[data-expand]");
    if (!nav) return;
    var expanded = "navbar-expand-" + nav.getAttribute("data-expand");
    var inner = nav.querySelector(".container-fluid");
    var toggler = nav.querySelector(".navbar-toggler");
    nav.classList.add(expanded);
    if (!inner || !toggler || getComputedStyle(toggler).display !== "none") return;
    if (inner.scrollWidth > inner.clientWidth + 1) nav.classList.remove(expanded);
  }

  function enhance(root) {
    labelStackedTables(root);
    focusableScrollers(document);
  }

  document.addEventListener("DOMContentLoaded", function () {
    fitNavbar();
    enhance(document);
  });
  // A print button (data-ecm-print) prints the page: no inline onclick (the CSP refuses it).
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-ecm-print]")) window.print();
  });
  document.addEventListener("htmx:afterSettle", function (e) { enhance(e.target); });
  var timer;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fitNavbar();
      focusableScrollers(document);
    }, 100);
  });
})();
