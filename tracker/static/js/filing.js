// Small enhancements of the filing pages; everything also works without JavaScript.
(function () {
  "use strict";

  var form = document.getElementById("filing-form");

  // Show only the enterprise panel that matches the chosen way of naming it.
  function showModePanel() {
    var chosen = form.querySelector('input[name="enterprise_mode"]:checked');
    var mode = chosen ? chosen.value : "existing";
    form.querySelectorAll("[data-mode-panel]").forEach(function (panel) {
      panel.hidden = panel.getAttribute("data-mode-panel") !== mode;
    });
  }

  // One radio button per enterprise found, built with text nodes only.
  function enterpriseOption(enterprise, checked) {
    var wrapper = document.createElement("div");
    wrapper.className = "form-check";
    var input = document.createElement("input");
    input.className = "form-check-input";
    input.type = "radio";
    input.name = "enterprise_id";
    input.id = "enterprise-" + enterprise.id;
    input.value = String(enterprise.id);
    input.checked = checked;
    var label = document.createElement("label");
    label.className = "form-check-label";
    label.htmlFor = input.id;
    label.appendChild(document.createTextNode(enterprise.name + " "));
    if (enterprise.credit_code) {
      var code = document.createElement("span");
      code.className = "small text-body-secondary font-monospace";
      code.textContent = enterprise.credit_code;
      label.appendChild(code);
    }
    wrapper.appendChild(input);
    wrapper.appendChild(label);
    return wrapper;
  }

  function showMessage(container, text) {
    var note = document.createElement("p");
    note.className = "small text-body-secondary mb-0";
    note.textContent = text;
    container.appendChild(note);
  }

  // Search the register as the consumer types, keeping the enterprise already chosen at the top.
  function enableSearch() {
    var query = document.getElementById("enterprise_query");
    var results = document.getElementById("enterprise-results");
    if (!query || !results || !window.fetch) {
      return;
    }
    var timer = null;
    var latest = 0;
    query.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var text = query.value.trim();
        if (text.length < 2) {
          return;
        }
        var ticket = ++latest;
        var url = form.dataset.searchUrl + "?q=" + encodeURIComponent(text);
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) {
              throw new Error(String(response.status));
            }
            return response.json();
          })
          .then(function (found) {
            if (ticket !== latest) {
              return;
            }
            var checked = results.querySelector('input[name="enterprise_id"]:checked');
            var kept = checked ? checked.closest(".form-check") : null;
            results.replaceChildren();
            if (kept) {
              results.appendChild(kept);
            }
            found.forEach(function (enterprise) {
              if (!checked || String(enterprise.id) !== checked.value) {
                results.appendChild(enterpriseOption(enterprise, false));
              }
            });
            if (!found.length) {
              showMessage(results, form.dataset.textNone);
            }
          })
          .catch(function () {
            if (ticket === latest) {
              showMessage(results, form.dataset.textError);
            }
          });
      }, 300);
    });
    // Enter in the search box searches instead of going on to the review.
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        query.dispatchEvent(new Event("input"));
      }
    });
  }

  // Warn before sending files the server would refuse for their size, so nothing typed is lost.
  function checkFileSizes() {
    var warning = document.getElementById("file-warning");
    var perFile = Number(form.dataset.maxFileBytes);
    var perRequest = Number(form.dataset.maxRequestBytes);
    var lines = [];
    var total = 0;
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        total += file.size;
        if (file.size > perFile) {
          lines.push(form.dataset.textFileTooLarge + " " + file.name);
        }
      });
    });
    if (total > perRequest) {
      lines.push(form.dataset.textRequestTooLarge);
    }
    warning.replaceChildren();
    lines.forEach(function (line) {
      var item = document.createElement("div");
      item.textContent = line;
      warning.appendChild(item);
    });
    warning.classList.toggle("d-none", lines.length === 0);
    return total <= perRequest;
  }

  if (form) {
    form.querySelectorAll('input[name="enterprise_mode"]').forEach(function (radio) {
      radio.addEventListener("change", showModePanel);
    });
    showModePanel();
    enableSearch();
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      input.addEventListener("change", checkFileSizes);
    });
    form.addEventListener("submit", function (event) {
      if (!checkFileSizes()) {
        event.preventDefault();
        document.getElementById("file-warning").scrollIntoView({ block: "center" });
      }
    });
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  // A submit button that says it is busy and cannot be pressed twice (the server files once anyway).
  document.querySelectorAll("[data-disable-on-submit]").forEach(function (button) {
    button.form.addEventListener("submit", function () {
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = button.dataset.busyText || button.textContent;
      }, 0);
    });
  });
})();
