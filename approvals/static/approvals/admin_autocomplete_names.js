// The admin's search-as-you-type pickers (select2) name their combobox after the shown choice,
// which is nothing while none is chosen; screen readers then announce an unnamed box. Each gets
// the label of the field it replaces.
"use strict";

(function () {
  function name(select) {
    const widget = select.nextElementSibling;
    if (!widget || !widget.classList.contains("select2")) return;
    const label = document.querySelector(`label[for="${select.id}"]`);
    const text = (label ? label.textContent : select.name).replace(/:\s*$/, "").trim();
    for (const part of widget.querySelectorAll(".select2-selection, .select2-selection__rendered")) {
      part.setAttribute("aria-label", text);
    }
  }

  function nameAll() {
    document.querySelectorAll("select.admin-autocomplete").forEach(name);
  }

  // After Django's own script has turned the selects into pickers (on DOMContentLoaded).
  window.addEventListener("load", nameAll);
  // A row added to an inline: Django turns its select into a picker in its own handler.
  document.addEventListener("formset:added", () => window.setTimeout(nameAll));
})();
