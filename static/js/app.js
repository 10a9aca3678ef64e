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
  // Sign-up: the Time zone starts at the browser's own (Intl), once, where the page asks for it
  // (data-browser-timezone); the person may change it, and without this script UTC stands.
  function useBrowserTimezone(root) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { return; }
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
      select.removeAttribute("data-browser-timezone");
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) { select.value = zone; return; }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { useBrowserTimezone(document); });
  else useBrowserTimezone(document);
  document.addEventListener("htmx:load", function (event) { useBrowserTimezone(event.target); });
  // Calendar: drag a post to another day to move it there, at the same time of day. The server
  // checks the post's version, so a stale calendar cannot overwrite a newer change.
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    dragged = event.target.closest && event.target.closest(".cal-post[draggable]");
    if (dragged) event.dataTransfer.setData("text/plain", dragged.getAttribute("href"));
  });
  document.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest(".day[data-date]")) event.preventDefault();
  });
  document.addEventListener("drop", function (event) {
    var day = event.target.closest && event.target.closest(".day[data-date]");
    if (!dragged || !day) return;
    event.preventDefault();
    var month = new URL(window.location.href).searchParams.get("month") || "";
    // The entry links to its post; moving it posts to that address's /reschedule, at its <time>.
    htmx.ajax("POST", dragged.getAttribute("href") + "/reschedule", {
      source: dragged,
      swap: "none",
      values: { version: dragged.dataset.version, date: day.dataset.date,
                time: dragged.querySelector("time").textContent,
                back: window.location.pathname + (month ? "?month=" + month : "") }
    });
    dragged = null;
  });

  // A coach answer that grows keeps the reader at its end, unless they scrolled up to read. Each
  // piece's id is where the answer ends with it: a piece the page already shows (a stream that
  // reconnected from its first address) is left out.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var target = event.target, end = parseInt(event.detail && event.detail.lastEventId, 10);
    if (target.classList.contains("live") && end && target.textContent.length >= end) {
      event.preventDefault();
      return;
    }
    var page = document.scrollingElement;
    target.dataset.follow = page.scrollHeight - page.scrollTop - page.clientHeight < 160 ? "1" : "";
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.target.dataset && event.target.dataset.follow) window.scrollTo(0, document.scrollingElement.scrollHeight);
  });
  // "Copy link": shown only where this script runs; copies the link in the input it names, so a
  // visitor in an app's own browser can open it in their usual one.
  function showCopyButtons(root) {
    (root && root.querySelectorAll ? root : document).querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { showCopyButtons(document); });
  document.addEventListener("htmx:load", function (event) { showCopyButtons(event.target); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
