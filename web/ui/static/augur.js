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
