// Line tables of the project-manager forms: add and remove lines, keep their numbers, and
// total what is typed as it is typed. Without this script the page still works: "Add a line"
// posts the form and the same page comes back with a blank line, and the totals are those
// the page was shown with (approvals/forms/lines.py computes them the same way).
"use strict";

(function () {
  // Amounts are BigInt counts of 10^-scale, exact like the Decimal amounts of the server.
  function scaled(text, scale) {
    const cleaned = String(text || "").replace(/,/g, "").trim();
    const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(cleaned);
    if (!match || (match[2] === "" && !match[3])) return null;
    const fraction = match[3] || "";
    let units = BigInt((match[2] || "0") + fraction.slice(0, scale).padEnd(scale, "0"));
    // Half up, as money.cents rounds: only the first dropped digit decides.
    if (fraction.length > scale && fraction[scale] >= "5") units += 1n;
    return match[1] === "-" ? -units : units;
  }

  // n / d rounded half away from zero (d > 0).
  function divided(n, d) {
    const magnitude = ((n < 0n ? -n : n) * 2n + d) / (2n * d);
    return n < 0n ? -magnitude : magnitude;
  }

  // "$1,234.50", "-$80.00", "CAD 1,234.50": money.format_money.
  function money(cents, currency) {
    const negative = cents < 0n;
    const magnitude = negative ? -cents : cents;
    const whole = (magnitude / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const fraction = (magnitude % 100n).toString().padStart(2, "0");
    const symbol = currency === "USD" ? "$" : currency + " ";
    return (negative ? "-" : "") + symbol + whole + "." + fraction;
  }

  function field(line, name) {
    const input = line.querySelector(`[name$="-${name}"]`);
    return input ? input.value : "";
  }

  function removed(line) {
    const box = line.querySelector('input[name$="-DELETE"]');
    return Boolean(box && box.checked);
  }

  // What each kind of line adds to the totals, in cents, by the name of the total.
  const LINE_AMOUNTS = {
    // A commitment line: its amount, or quantity times unit cost when the amount is empty.
    commitment(line) {
      let amount = scaled(field(line, "amount"), 2);
      if (amount === null) {
        const quantity = scaled(field(line, "quantity"), 4);
        const unitCost = scaled(field(line, "unit_cost"), 4);
        if (quantity !== null && unitCost !== null) amount = divided(quantity * unitCost, 10n ** 6n);
      }
      return { amount: amount || 0n };
    },
    change(line) {
      return { amount: scaled(field(line, "amount"), 2) || 0n };
    },
    // An invoice line: retainage left empty is the commitment's default percentage of it.
    invoice(line, table) {
      const work = scaled(field(line, "work_completed"), 2) || 0n;
      const materials = scaled(field(line, "materials_stored"), 2) || 0n;
      const gross = work + materials;
      let retainage = scaled(field(line, "retainage_withheld"), 2);
      if (retainage === null) {
        const percent = scaled(table.dataset.retainagePercent, 2) || 0n;
        retainage = divided((gross > 0n ? gross : 0n) * percent, 10000n);
      }
      return {
        work_completed: work,
        materials_stored: materials,
        retainage_withheld: retainage,
        gross: gross,
        net: gross - retainage,
      };
    },
  };

  // What the whole form adds: an invoice may release retainage held on earlier ones.
  const FORM_AMOUNTS = {
    invoice(form) {
      const releasing = form.querySelector('input[name="is_retainage_release"]');
      const released = releasing && releasing.checked
        ? scaled(form.querySelector('input[name="retainage_released"]').value, 2) || 0n
        : 0n;
      return { retainage_released: released, net: released };
    },
  };

  function lines(table) {
    return Array.from(table.querySelectorAll("tbody[data-line]"));
  }

  function refresh(table) {
    const amountsOf = LINE_AMOUNTS[table.dataset.lineKind];
    const totals = {};
    let number = 0;
    for (const line of lines(table)) {
      const gone = removed(line);
      line.hidden = gone;
      if (gone) continue;
      number += 1;
      for (const label of line.querySelectorAll("[data-line-number]")) {
        label.textContent = String(number);
      }
      const remove = line.querySelector("[data-remove-line]");
      if (remove) remove.setAttribute("aria-label", `Remove line ${number}`);
      const amounts = amountsOf(line, table);
      for (const [name, cents] of Object.entries(amounts)) {
        totals[name] = (totals[name] || 0n) + cents;
      }
    }
    const form = table.closest("form");
    const formAmounts = FORM_AMOUNTS[table.dataset.lineKind];
    if (formAmounts) {
      for (const [name, cents] of Object.entries(formAmounts(form))) {
        totals[name] = (totals[name] || 0n) + cents;
      }
    }
    for (const cell of form.querySelectorAll(`[data-total-of="${table.id}"]`)) {
      cell.textContent = money(totals[cell.dataset.total] || 0n, table.dataset.currency);
    }
  }

  function announce(table, text) {
    const status = document.getElementById(`${table.id}-status`);
    if (status) status.textContent = text;
  }

  function enhanceRemove(table, line) {
    const box = line.querySelector('input[name$="-DELETE"]');
    if (!box || line.querySelector("[data-remove-line]")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Remove";
    button.dataset.removeLine = "";
    box.closest("label").hidden = true;
    box.closest("td").appendChild(button);
    button.addEventListener("click", () => {
      const number = line.querySelector("[data-line-number]").textContent;
      box.checked = true;
      refresh(table);
      announce(table, `Line ${number} removed.`);
      const next = lines(table).find((other) => !other.hidden && other.compareDocumentPosition(line) & Node.DOCUMENT_POSITION_PRECEDING);
      const focusTarget = next ? next.querySelector("input:not([type=hidden]), select") : table.closest("form").querySelector("[data-add-line]");
      if (focusTarget) focusTarget.focus();
    });
  }

  function addLine(table) {
    const form = table.closest("form");
    const total = form.querySelector(`input[name="${table.dataset.prefix}-TOTAL_FORMS"]`);
    const most = Number(form.querySelector(`input[name="${table.dataset.prefix}-MAX_NUM_FORMS"]`).value);
    const index = Number(total.value);
    if (index >= most) {
      announce(table, `A form has at most ${most} lines.`);
      return;
    }
    const template = form.querySelector(`template[data-empty-line="${table.id}"]`);
    const markup = template.innerHTML.replace(/__prefix__/g, String(index));
    const holder = document.createElement("table");
    holder.innerHTML = markup;
    const line = holder.querySelector("tbody");
    table.querySelector("tfoot").before(line);
    total.value = String(index + 1);
    enhanceRemove(table, line);
    refresh(table);
    announce(table, `Line ${line.querySelector("[data-line-number]").textContent} added.`);
    const first = line.querySelector("input:not([type=hidden]), select");
    if (first) first.focus();
  }

  for (const table of document.querySelectorAll("table[data-line-kind]")) {
    const form = table.closest("form");
    for (const line of lines(table)) enhanceRemove(table, line);
    const add = form.querySelector(`[data-add-line="${table.id}"]`);
    if (add) {
      // No longer a submit button: Enter in a field saves the form, as it does elsewhere.
      add.type = "button";
      add.addEventListener("click", (event) => {
        event.preventDefault();
        addLine(table);
      });
    }
    form.addEventListener("input", () => refresh(table));
    form.addEventListener("change", () => refresh(table));
    refresh(table);
  }
})();
