// Saves the Plan and Entitlements form through the portal API, with the session's CSRF token
// and the version the page was loaded at (optimistic concurrency).
(function () {
  "use strict";
  var form = document.getElementById("entitlements-form");
  if (!form) return;
  var statusBox = document.getElementById("save-status");
  var saveButton = form.querySelector("button[type=submit]");

  function message(id) {
    var template = document.getElementById(id);
    return template ? template.innerHTML.trim() : "";
  }

  function setStatus(text, kind, withRefresh) {
    statusBox.textContent = text;
    statusBox.className = "status " + (kind || "");
    if (withRefresh) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = "Refresh the page";
      button.addEventListener("click", function () { window.location.reload(); });
      statusBox.appendChild(document.createTextNode(" "));
      statusBox.appendChild(button);
    }
  }

  function clearFieldErrors() {
    form.querySelectorAll(".field-error").forEach(function (el) {
      el.textContent = "";
      el.hidden = true;
    });
    form.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
  }

  function showFieldError(field, text) {
    var el = document.getElementById("error-" + field);
    if (!el) return false;
    el.textContent = text;
    el.hidden = false;
    var box = el.closest("fieldset, .limit");
    if (box) box.classList.add("invalid");
    return true;
  }

  form.querySelectorAll("input[data-unlimited-for]").forEach(function (box) {
    box.addEventListener("change", function () {
      var input = document.getElementById("limit-" + box.dataset.unlimitedFor);
      input.disabled = box.checked;
      if (!box.checked && input.value === "") input.value = "0";
    });
  });

  function collect() {
    var changes = [];
    var problems = [];
    form.querySelectorAll("input[type=checkbox][data-feature]").forEach(function (box) {
      changes.push({ featureId: box.dataset.feature, enabled: box.checked });
    });
    form.querySelectorAll("[data-limit]").forEach(function (row) {
      var id = row.dataset.limit;
      var unlimited = row.querySelector("input[data-unlimited-for]").checked;
      if (unlimited) {
        changes.push({ featureId: id, enabled: true, value: -1 });
        return;
      }
      var raw = document.getElementById("limit-" + id).value.trim();
      var value = Number(raw);
      if (raw === "" || !Number.isInteger(value) || value < 0) {
        problems.push([id, "Enter a whole number of 0 or more, or choose Unlimited."]);
        return;
      }
      changes.push({ featureId: id, enabled: value !== 0, value: value });
    });
    return { changes: changes, problems: problems };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearFieldErrors();
    var collected = collect();
    if (collected.problems.length) {
      collected.problems.forEach(function (p) { showFieldError(p[0], p[1]); });
      setStatus("Check the highlighted fields. Nothing was saved.", "error");
      return;
    }
    var version = form.dataset.version;
    var csrf = form.querySelector("input[name=csrf]").value;
    saveButton.disabled = true;
    setStatus("Saving…", "");
    fetch("/api/portal/tenants/" + encodeURIComponent(form.dataset.tenantId) + "/entitlements", {
      method: "PUT",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "If-Match": '"' + version + '"',
        "X-CSRF-Token": csrf
      },
      body: JSON.stringify({ entitlements: collected.changes, version: Number(version) })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    }).then(function (result) {
      var error = (result.body && result.body.error) || {};
      if (result.status === 200) {
        form.dataset.version = String(result.body.version);
        setStatus("Saved.", "ok");
      } else if (result.status === 409) {
        setStatus(message("msg-conflict"), "error", true);
      } else if (result.status === 422) {
        var placed = false;
        (error.details || []).forEach(function (d) {
          placed = showFieldError(d.field, d.message) || placed;
        });
        var formats = (error.details || []).some(function (d) {
          return d.field === form.dataset.exportFeature;
        });
        setStatus(formats ? message("msg-invalid-formats")
          : (placed ? "Check the highlighted fields. Nothing was saved." : error.message), "error");
      } else if (result.status === 401) {
        setStatus(message("msg-signed-out"), "error");
      } else if (result.status === 403 || result.status === 404) {
        setStatus(message("msg-cannot-edit"), "error");
      } else {
        setStatus(message("msg-failed"), "error");
      }
    }).catch(function () {
      setStatus(message("msg-failed"), "error");
    }).then(function () {
      saveButton.disabled = false;
    });
  });
})();
