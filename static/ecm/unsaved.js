/* Nothing typed is lost (issue 18). Written by hand; no dependencies.
 *
 * <form data-warn-unsaved="message">: once something is typed into it (input or change events
 * of its elements, including boxes joined by their form="..." attribute), leaving the page asks
 * first (beforeunload), and submitting another form of the page asks with the message. Its own
 * submit clears the warning.
 * data-autosave-url: while changed, the form is posted there every 30 seconds (without files);
 * the JSON reply's message goes into the element named by data-autosave-status (aria-live), and
 * its new version into the field named by data-autosave-version, so the next save is taken.
 * A refusal (e.g. 409, someone else saved meanwhile) stops the autosave and keeps the warning.
 * A save pressed while an autosave is on its way waits for it (and so sends the new version).
 * data-warn-dirty: the form is shown again with what was typed (an error): it warns at once.
 */
(function () {
  "use strict";
  var forms = [];

  function dirty(except) {
    return forms.filter(function (f) { return f !== except && f.ecmDirty; });
  }

  function say(form, text) {
    var status = document.getElementById(form.dataset.autosaveStatus || "");
    if (status) { status.textContent = text; }
  }

  function autosave(form) {
    if (!form.ecmChanged || form.ecmSaving || form.ecmStopped) { return; }
    var data = new FormData(form);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.type === "file" && el.name) { data.delete(el.name); }
    });
    form.ecmChanged = false;
    form.ecmSaving = true;
    fetch(form.dataset.autosaveUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (reply) {
        say(form, reply.body.message);
        if (!reply.ok) { form.ecmStopped = true; return; }
        var name = form.dataset.autosaveVersion;
        if (name && form.elements[name] && reply.body[name] !== undefined) {
          form.elements[name].value = reply.body[name];
        }
        if (!form.ecmChanged) { form.ecmDirty = false; }
      })
      .catch(function () {
        form.ecmChanged = true;
        say(form, form.dataset.autosaveFailed || "");
      })
      .finally(function () {
        form.ecmSaving = false;
        var pending = form.ecmPending;
        form.ecmPending = null;
        if (pending) { form.requestSubmit(pending.submitter); }
      });
  }

  function setup(form) {
    forms.push(form);
    form.ecmDirty = form.hasAttribute("data-warn-dirty");
    var mark = function (event) {
      if (event.target.form === form) { form.ecmDirty = true; form.ecmChanged = true; }
    };
    document.addEventListener("input", mark);
    document.addEventListener("change", mark);
    if (form.dataset.autosaveUrl) {
      var seconds = window.ecmAutosaveSeconds || Number(form.dataset.autosaveSeconds) || 30;
      window.setInterval(function () { autosave(form); }, seconds * 1000);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.ecmSaving) {
      event.preventDefault();
      form.ecmPending = { submitter: event.submitter || null };
      return;
    }
    var others = dirty(form);
    if (others.length && !form.hasAttribute("hx-post")) {
      if (!window.confirm(others[0].dataset.warnUnsaved)) { event.preventDefault(); return; }
      others.forEach(function (f) { f.ecmDirty = false; });
    }
    if (forms.indexOf(form) !== -1 && !event.defaultPrevented) { form.ecmDirty = false; }
  });

  window.addEventListener("beforeunload", function (event) {
    if (!dirty(null).length) { return undefined; }
    event.preventDefault();
    event.returnValue = "";
    return "";
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-warn-unsaved]").forEach(setup);
  });
})();
