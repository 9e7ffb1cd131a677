// Small enhancements for every portal page; each page works without them.
(function () {
  "use strict";
  // Collapsible sections open by default on a wide screen (data-open-from="821": from 821 px),
  // and start closed on a phone so they do not push the answers down.
  document.querySelectorAll("details[data-open-from]").forEach(function (section) {
    var width = parseInt(section.getAttribute("data-open-from"), 10);
    if (window.matchMedia("(min-width: " + width + "px)").matches) { section.open = true; }
  });
})();
