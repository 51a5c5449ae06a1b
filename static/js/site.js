/* The theme's one script: it only improves pages that work without it. */
(function () {
  "use strict";
  // A picture or logo that fails (an outlet's server refuses it, or the reader is offline) goes with its box:
  // no grey box, no gap, never a broken-image icon (without this script each keeps its reserved box, so the
  // layout still holds). Errors do not bubble: listen in the capture phase, and look at the pictures that
  // failed before this script ran.
  const BOXES = ".card-thumb, .lead-thumb, .lead-image, .mini-thumb, .coverage-thumb, .topic-banner, .search-thumb, picture";
  function failed(image) {
    const box = image.closest(BOXES);
    (box && !box.matches("picture") ? box : image.closest("picture") || image).remove();
  }
  document.addEventListener("error", function (event) {
    if (event.target instanceof HTMLImageElement) failed(event.target);
  }, true);
  function sweep() {
    for (const image of document.images) {
      if (image.complete && image.naturalWidth === 0 && image.getAttribute("src")) failed(image);
    }
  }
  // Times of the last day read as relative ("3 hr. ago", "vor 3 Std.") in the page's language, by the browser's
  // own CLDR data (Intl.RelativeTimeFormat); the page itself carries the absolute time, which stays in the title.
  let said = null;
  function ago(element, now) {
    const then = Date.parse(element.getAttribute("datetime"));
    const minutes = Math.round((now - then) / 60000);
    if (isNaN(minutes) || minutes < -5 || minutes >= 24 * 60 || typeof Intl.RelativeTimeFormat !== "function") return;
    said = said || new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto", style: "short" });
    if (!element.title) element.title = element.textContent.trim();
    element.textContent = minutes < 1 ? said.format(0, "minute") : minutes < 60 ? said.format(-minutes, "minute")
      : said.format(-Math.floor(minutes / 60), "hour");
  }
  function relative() {
    const now = Date.now();
    for (const element of document.querySelectorAll("time.ago[datetime]")) ago(element, now);
  }
  function ready() { sweep(); relative(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready); else ready();
})();
