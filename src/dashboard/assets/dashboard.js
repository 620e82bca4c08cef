// Terragate dashboard: progressive enhancement only (every page works without it): local times, confirmations, live runs, copy.
(() => {
  var tz = "";
  try {
    tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    // no Intl time zone support: times stay in UTC
  }
  if (tz && document.documentElement.getAttribute("data-tz") !== tz) {
    // biome-ignore lint/suspicious/noDocumentCookie: one plain preference cookie; the Cookie Store API is not everywhere yet
    document.cookie =
      "tg_tz=" +
      encodeURIComponent(tz) +
      "; path=/; max-age=31536000; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
  }

  document.addEventListener("submit", (event) => {
    var form = event.target;
    var question = form?.getAttribute?.("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    var button = event.target?.closest?.("[data-copy]");
    if (!button || !navigator.clipboard?.writeText) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(() => {
      button.textContent = "Copied";
    });
  });

  var main = document.querySelector("main[data-live]");
  if (!main) return;
  var stateUrl = main.getAttribute("data-live");
  var known = main.getAttribute("data-version");
  var delay = 3000;
  function swap() {
    return fetch(location.href, { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then((text) => {
        var next = new DOMParser().parseFromString(text, "text/html").querySelector("main");
        if (!next) return;
        main.replaceWith(next);
        main = next;
        known = next.getAttribute("data-version");
        stateUrl = next.getAttribute("data-live");
      });
  }
  function poll() {
    if (!stateUrl) return;
    fetch(stateUrl, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then((response) => {
        if (response.status === 401) {
          location.reload();
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then((body) => {
        if (body && body.version !== known) return swap();
      })
      .catch(() => {
        delay = Math.min(delay * 2, 30000);
      })
      .then(() => {
        if (stateUrl) setTimeout(poll, document.hidden ? delay * 3 : delay);
      });
  }
  setTimeout(poll, delay);
})();
