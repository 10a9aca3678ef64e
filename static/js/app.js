// Studio's own script: small, progressive. Pages read and work without it.
(function () {
  "use strict";
  // Close an open <details> menu when the user clicks elsewhere or presses Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) { menu.removeAttribute("open"); });
  });
  // Upload progress: htmx reports the bytes sent; the bar in the form shows them.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload]");
    if (!form || !event.detail.lengthComputable) return;
    var box = form.querySelector(".upload-progress");
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    box.hidden = false;
    box.querySelector("progress").value = percent;
    box.querySelector(".progress-text").textContent = percent < 100 ? percent + "%" : "Processing…";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload]");
    if (!form) return;
    form.querySelector(".upload-progress").hidden = true;
    if (event.detail.successful) form.reset();
  });
})();
