// The invoice form asks, while the number is typed, whether the vendor already has an invoice
// or a bill with that number; the answer replaces the last one, said once in a live region.
// Without this script the same warning is shown when the page comes back from a save.
"use strict";

(function () {
  const input = document.querySelector("[data-number-check]");
  if (!input) return;
  const said = document.getElementById(input.dataset.numberCheckShownIn);
  let asked = input.value.trim();
  let timer = null;

  async function check() {
    const number = input.value.trim();
    if (number === asked) return;
    asked = number;
    if (!number) {
      said.textContent = "";
      return;
    }
    const url = new URL(input.dataset.numberCheck, window.location.href);
    url.searchParams.set("number", number);
    let answer;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      answer = await response.json();
    } catch (error) {
      return; // Checked again at save.
    }
    // A later number may have been typed while this one was being checked.
    if (answer.number === input.value.trim() && said.textContent !== answer.warning) {
      said.textContent = answer.warning;
    }
  }

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 350);
  });
  input.addEventListener("change", check);
})();
