/* Forms in the GOV.UK way (docs/notes-forms.md). No dependencies.
 * - Error summary: on a failed submit the first summary takes the focus, so a screen reader
 *   reads it and a keyboard user starts from it; each link focuses its field and scrolls its
 *   label (or the fieldset's legend) into view.
 * - Answer counts: an element [data-answered-count] inside a form counts the radio groups
 *   named in its data-answered-names ("a b c") that have an answer, live.
 * - Dates with a precision: the date box follows the "date known to" select.
 */
(function () {
  "use strict";
  if (window.ecmForms) { return; }
  window.ecmForms = true;

  function focusSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary && !summary.dataset.focused) {
      summary.dataset.focused = "1";
      summary.focus();
    }
  }

  function labelFor(input) {
    var fieldset = input.closest("fieldset");
    if (input.type === "radio" || input.type === "checkbox") {
      var row = input.closest("tr");
      if (row) { return row; }
      if (fieldset) { return fieldset.querySelector("legend") || fieldset; }
    }
    return document.querySelector('label[for="' + input.id + '"]') || input;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#'], [data-missing-links] a[href^='#']");
    if (!link) { return; }
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) { return; }
    event.preventDefault();
    var details = input.closest("details");
    if (details) { details.open = true; }
    labelFor(input).scrollIntoView({ block: "start", behavior: "instant" });
    input.focus({ preventScroll: true });
  });

  function updateCounts(root) {
    (root || document).querySelectorAll("[data-answered-count]").forEach(function (out) {
      var form = out.closest("form") || document;
      var names = (out.dataset.answeredNames || "").split(" ").filter(Boolean);
      var answered = names.filter(function (name) {
        return form.querySelector('input[name="' + name + '"]:checked');
      }).length;
      out.textContent = (out.dataset.template || "%(n)s of %(total)s answered")
        .replace("%(n)s", answered).replace("%(total)s", names.length);
    });
  }

  /* A date whose precision is chosen: a date picker for "Exact day", a month picker for
     "Month", a year box for "Year" (ecm.forms.PrecisionDateInput; the server takes all three). */
  var KINDS = { month: ["month", 7], year: ["number", 4] };
  function switchPrecision(select) {
    var form = select.form || document;
    var kind = KINDS[select.value] || ["date", 10];
    form.querySelectorAll('input[data-precision-name="' + select.name + '"]').forEach(function (input) {
      var value = input.value;
      if (value.length < kind[1]) {
        value = value ? (value + "-01-01").slice(0, kind[1]) : "";
      }
      input.type = kind[0];
      if (kind[0] === "number") { input.min = "1900"; input.max = "2100"; input.step = "1"; }
      input.value = value.slice(0, kind[1]);
    });
  }

  document.addEventListener("change", function (event) {
    if (!event.target.matches) { return; }
    if (event.target.matches("input[type=radio]")) { updateCounts(); }
    if (event.target.matches("select") && event.target.form &&
        event.target.form.querySelector('input[data-precision-name="' + event.target.name + '"]')) {
      switchPrecision(event.target);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { focusSummary(); updateCounts(); });
  // A page loaded at a #fragment (a section of the contents list) loses the focus when the
  // browser scrolls to it: take it back for the summary, unless the user has moved on.
  window.addEventListener("load", function () {
    var summary = document.querySelector("[data-error-summary]");
    var active = document.activeElement;
    if (summary && (!active || active === document.body)) { summary.focus(); }
  });
  if (document.readyState !== "loading") { focusSummary(); updateCounts(); }
  document.body && document.body.addEventListener("htmx:afterSwap", function (event) {
    focusSummary(event.target);
    updateCounts(event.target);
  });
  // A form whose entry was saved without the form being sent back (htmx: the server names
  // the "ecm-form-saved" event, e.g. an event added to the timeline) is emptied, as a new
  // blank form would be.
  document.body && document.body.addEventListener("ecm-form-saved", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    if (form) { form.reset(); }
  });
}());
