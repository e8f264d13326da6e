// Every project-manager page: a button that cannot act yet stays focusable, so its reasons
// (aria-describedby) are read when it is reached; it does nothing when pressed. Without this
// script the server refuses the action with the same reasons.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest('button[aria-disabled="true"]');
  if (button) event.preventDefault();
});
