// The portal's only script, served from this site (the Content-Security-Policy allows no
// inline script). Pages work without it; it adds two conveniences.
(function () {
  "use strict";

  // "Go back" links (error pages): back in the history when there is one, else their href.
  document.querySelectorAll("a[data-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });

  // Live campaign progress without a build step: poll the fragment named by data-poll
  // and reload once when the run ends.
  const holder = document.querySelector("[data-poll]");
  const box = document.getElementById("progress");
  if (!holder || !box) {
    return;
  }
  const url = holder.dataset.poll;
  async function poll() {
    try {
      const response = await fetch(url, {credentials: "same-origin"});
      if (response.ok) {
        const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = parsed.getElementById("progress");
        if (fresh) {
          box.replaceChildren(...fresh.childNodes);
          if (fresh.dataset.done === "1") {
            location.reload();
            return;
          }
        }
      }
    } catch (error) { /* keep polling */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
