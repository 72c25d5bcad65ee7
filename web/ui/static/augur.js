// augur: progressive enhancement only; every page works without it.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("augur-theme"); } catch (e) { /* private mode */ }
  if (saved === "light" || saved === "dark") { root.setAttribute("data-theme", saved); }
  document.addEventListener("DOMContentLoaded", function () {
    var b = document.querySelector("[data-theme-toggle]");
    if (!b) { return; }
    b.addEventListener("click", function () {
      var dark = root.getAttribute("data-theme") === "dark" ||
        (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("augur-theme", next); } catch (e) { /* private mode */ }
    });
  });
})();

// ---- report ----
// A chart that fails to load says so instead of showing a broken image.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var imgs = document.querySelectorAll(".report img.chart");
  Array.prototype.forEach.call(imgs, function (img) {
    img.addEventListener("error", function () {
      var p = document.createElement("p");
      p.className = "note";
      p.textContent = "This chart could not be loaded: " + img.alt;
      img.replaceWith(p);
    });
  });
});
// ---- end report ----
// ---- experiments list, spec editor and run controls ----
(function () {
  "use strict";

  // The list: while a run is in progress, fetch the table's rows again
  // (the page's own ?fragment=rows) and swap them in.
  function liveRows() {
    var body = document.querySelector("tbody[data-live]");
    if (!body) { return; }
    var timer = setInterval(function () {
      if (document.hidden) { return; }
      fetch(body.getAttribute("data-rows"), { headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var t = document.createElement("template");
          t.innerHTML = html.trim();
          var next = t.content.querySelector("tbody");
          if (!next) { return; }
          body.replaceWith(next);
          body = next;
          if (!next.hasAttribute("data-live")) { clearInterval(timer); }
        })
        .catch(function () { /* the next tick tries again */ });
    }, 5000);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // showCheck draws a validation answer ({valid, summary} or {error,
  // fields}) next to the editor.
  function showCheck(box, ans) {
    box.textContent = "";
    if (ans.valid) {
      var ok = el("p", "ok", ans.summary);
      ok.setAttribute("data-valid", "");
      box.appendChild(ok);
      return;
    }
    var p = el("p", "problem", ans.error || "the spec was refused");
    p.setAttribute("data-error", "");
    box.appendChild(p);
    if (!ans.fields || !ans.fields.length) { return; }
    var ul = el("ul", "field-errors");
    ans.fields.forEach(function (f) {
      var li = el("li", "field-error");
      li.setAttribute("data-field", f.field || "");
      if (f.field) { li.appendChild(el("code", "", f.field)); }
      if (f.line) {
        li.setAttribute("data-line", f.line);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "muted", "line " + f.line));
      }
      li.appendChild(el("br"));
      li.appendChild(document.createTextNode(f.message));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function validate(text) {
    return fetch("/ui/validate", { method: "POST", headers: { "Content-Type": "application/yaml" }, body: text })
      .then(function (r) { return r.json(); });
  }

  // The editor: Validate, Create and Create and start through the API.
  function editor() {
    var form = document.querySelector("form[data-editor]");
    if (!form) { return; }
    var box = form.querySelector("[data-check]");
    var spec = form.querySelector("textarea[name=spec]");
    var action = "validate";
    form.querySelectorAll("button[name=action]").forEach(function (b) {
      b.addEventListener("click", function () { action = b.value; });
    });
    box.addEventListener("click", function (e) {
      var li = e.target.closest("[data-line]");
      if (!li) { return; }
      var n = parseInt(li.getAttribute("data-line"), 10), lines = spec.value.split("\n"), at = 0;
      for (var i = 0; i < n - 1 && i < lines.length; i++) { at += lines[i].length + 1; }
      spec.focus();
      spec.setSelectionRange(at, at + (lines[n - 1] || "").length);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = spec.value;
      if (action === "validate") {
        validate(text).then(function (ans) { showCheck(box, ans); })
          .catch(function (err) { showCheck(box, { error: "validation failed: " + err }); });
        return;
      }
      var edit = form.getAttribute("data-edit");
      var req = edit
        ? fetch("/api/v1/experiments/" + encodeURIComponent(edit), { method: "PUT",
          headers: { "Content-Type": "application/yaml", "If-Match": '"' + form.getAttribute("data-version") + '"' }, body: text })
        : fetch("/api/v1/experiments?start=" + (action === "start"), { method: "POST",
          headers: { "Content-Type": "application/yaml" }, body: text });
      req.then(function (r) {
        return r.json().then(function (body) {
          if (r.ok) {
            window.location.assign("/experiments/" + encodeURIComponent(body.id));
            return;
          }
          // The same check with each field's line, when it finds the problem.
          return validate(text).then(function (ans) { showCheck(box, ans.valid ? body : ans); });
        });
      }).catch(function (err) { showCheck(box, { error: "the request failed: " + err }); });
    });
  }

  // Run controls: the API's start, pause, resume and abort.
  function controls() {
    document.querySelectorAll("form[data-controls]").forEach(function (form) {
      var action = "";
      form.querySelectorAll("button[name=action]").forEach(function (b) {
        b.addEventListener("click", function () { action = b.value; });
      });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var id = form.getAttribute("data-controls"), out = form.querySelector("[data-control-error]");
        fetch("/api/v1/experiments/" + encodeURIComponent(id) + "/" + action, { method: "POST" })
          .then(function (r) {
            if (r.ok) { window.location.reload(); return; }
            return r.json().then(function (b) { out.textContent = b.error; out.hidden = false; });
          })
          .catch(function (err) { out.textContent = "the request failed: " + err; out.hidden = false; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { liveRows(); editor(); controls(); });
})();
