// Bookwarden pages: progressive enhancement only. Every page works by links
// and form posts; this adds what a server cannot do. It writes no HTML (no
// DOM sink), so the pages can require Trusted Types with no policy at all.
"use strict";

(function () {
  // An emailed link's secret travels in the fragment, which browsers never
  // send. Copy it into the form's hidden fields, then remove it from the
  // address bar and from this history entry.
  function readFragment() {
    const hash = window.location.hash.slice(1);
    if (!hash) return null;
    const values = new URLSearchParams(hash);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    return values;
  }

  function detectedZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  // The reader's own zone, when the page has not been told one.
  const zone = detectedZone();
  const params = new URLSearchParams(window.location.search);
  document.querySelectorAll("input[data-detect-zone]").forEach(function (input) {
    if (!zone) return;
    if (input.type === "hidden") {
      if (!input.value) input.value = zone;
    } else if (!params.has("tz") && input.value !== zone) {
      input.value = zone;
      if (params.has("service") && input.form) input.form.requestSubmit();
    }
  });

  const fragment = readFragment();
  document.querySelectorAll("form[data-fragment]").forEach(function (form) {
    if (!fragment) return;
    let filled = false;
    fragment.forEach(function (value, name) {
      const field = form.querySelector('input[type="hidden"][name="' + CSS.escape(name) + '"]');
      if (field) {
        field.value = value;
        filled = true;
      }
    });
    if (filled && form.hasAttribute("data-autosubmit-fragment")) form.requestSubmit();
  });

  // Changing language on a link's page keeps the link: the form's values go
  // along in the new address's fragment, which that page reads the same way.
  const linkForm = document.querySelector("form[data-fragment]");
  if (linkForm) {
    document.querySelectorAll("#languages a").forEach(function (link) {
      link.addEventListener("click", function () {
        const values = new URLSearchParams();
        linkForm.querySelectorAll('input[type="hidden"]').forEach(function (field) {
          if (field.name !== "lang" && field.name !== "tz" && field.value) {
            values.set(field.name, field.value);
          }
        });
        if (values.toString()) link.href = link.href.split("#")[0] + "#" + values.toString();
      });
    });
  }

  // One submit per form: a double click sends one request (the server would
  // also answer a repeat with the same booking, by its idempotency key).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
    });
  });

  // After a refused form, take the reader to the list of problems.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
