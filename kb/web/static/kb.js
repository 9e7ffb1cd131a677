// Small enhancements for every page; each page works without them.
(function () {
  "use strict";
  // Collapsible sections come open from the server, so they work without a script; on a
  // narrow screen (below data-open-from="821": 821 px) they start closed instead, so they do
  // not push the answers or the queue down.
  document.querySelectorAll("details[data-open-from]").forEach(function (section) {
    var width = parseInt(section.getAttribute("data-open-from"), 10);
    section.open = window.matchMedia("(min-width: " + width + "px)").matches;
  });
  // The account menu and a phone's site menu close on Escape (focus back on their summary)
  // and on a click elsewhere.
  var menus = document.querySelectorAll("details.account-menu, details.site-menu");
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    menus.forEach(function (menu) {
      if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) { menu.open = false; }
    });
  });
})();
