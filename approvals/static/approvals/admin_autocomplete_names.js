// The admin's search-as-you-type pickers (select2) name their combobox after the shown choice,
// which is nothing while none is chosen; screen readers then announce an unnamed box. Each gets
// the label of the field it replaces, whenever Django's script builds one (on page load, after
// jQuery's ready, and for each inline row added).
"use strict";

(function () {
  function name(select) {
    const widget = select.nextElementSibling;
    if (!widget || !widget.classList.contains("select2")) return;
    const label = document.querySelector(`label[for="${select.id}"]`);
    const text = (label ? label.textContent : select.name).replace(/:\s*$/, "").trim();
    for (const part of widget.querySelectorAll(".select2-selection, .select2-selection__rendered")) {
      if (part.getAttribute("aria-label") !== text) part.setAttribute("aria-label", text);
    }
  }

  function nameAll() {
    document.querySelectorAll("select.admin-autocomplete").forEach(name);
  }

  document.addEventListener("DOMContentLoaded", () => {
    nameAll();
    new MutationObserver(nameAll).observe(document.body, { childList: true, subtree: true });
  });
})();
