// paperfeed's only script of its own: render LaTeX with the vendored KaTeX and wire the copy buttons.
// No inline scripts anywhere, so the Content-Security-Policy can forbid them.
(function () {
  function renderMath(root) {
    if (typeof window.renderMathInElement !== "function") return;
    root.querySelectorAll(".math").forEach(function (el) {
      window.renderMathInElement(el, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "\\[", right: "\\]", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false,
        ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option", "mark"]
      });
    });
  }
  function wireCopy(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) return;
        var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(source.textContent).then(done);
        } else {
          var range = document.createRange(); range.selectNodeContents(source);
          var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
          try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
        }
      });
    });
  }
  // A form that may wait on the server (a submission fetched from arXiv) says so while it waits.
  function wireBusy(root) {
    root.querySelectorAll("form[data-busy]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var status = form.querySelector("[data-busy-status]");
        if (status) status.textContent = form.getAttribute("data-busy");
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        form.setAttribute("aria-busy", "true");
      });
    });
  }
  // On a phone the header folds behind one "Menu" button (app.css); this opens and closes it.
  function wireMenu() {
    var toggle = document.querySelector(".menu-toggle");
    var header = document.querySelector("header.site");
    if (!toggle || !header) return;
    toggle.addEventListener("click", function () {
      var open = header.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // A page whose result is still being computed (the map) asks to be loaded again in a few seconds.
  // A script, not <meta http-equiv="refresh">: a timed refresh is an accessibility failure (WCAG
  // 2.2.1), and without scripts the page's own "Reload" link does the same.
  function wireReload() {
    var el = document.querySelector("[data-reload-after]");
    if (!el) return;
    var seconds = parseFloat(el.getAttribute("data-reload-after")) || 2;
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () { renderMath(document.body); wireCopy(document.body); wireBusy(document.body); wireMenu(); wireReload(); });
  document.addEventListener("htmx:afterSwap", function (event) { renderMath(event.target); wireCopy(event.target); });
  // Send the CSRF token with every HTMX request (the server compares it with its cookie).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  });
})();
