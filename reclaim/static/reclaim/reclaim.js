// Reclaim staff pages. Everything works without this file; it only helps htmx tab swaps.
"use strict";

// After a tab is swapped in, move focus to its heading so screen readers announce it.
document.addEventListener("htmx:afterSettle", function (event) {
  var heading = event.target.querySelector && event.target.querySelector("#panel-heading");
  if (heading) {
    heading.focus();
  }
});

// A page restored from the back/forward cache may show a record after logout: reload it.
window.addEventListener("pageshow", function (event) {
  if (event.persisted) {
    window.location.reload();
  }
});
