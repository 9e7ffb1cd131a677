// Live suggestions on the request form: while the requester types, the server renders the
// suggestion panel (the same template as without JavaScript, in the page's language) and this
// script puts it in place. Without JavaScript the "Check for answers" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  var panel = document.getElementById("suggestions");
  var status = document.getElementById("suggestion-status");
  if (!form || !panel || !form.getAttribute("data-suggestions")) { return; }
  var address = form.getAttribute("data-suggestions");
  var subject = document.getElementById("subject");
  var description = document.getElementById("description");
  var timer = null;
  var lastAsked = "";
  var sequence = 0;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // A short line for screen readers: the panel's summary, not every answer read out again.
  function announce() {
    if (!status) { return; }
    var summary = panel.querySelector("#suggestion-summary, .muted, .notice");
    status.textContent = summary ? summary.textContent.trim() : "";
  }

  function ask() {
    var text = subject.value.trim() + "\n" + description.value.trim();
    if (text.trim().length < 3 || text === lastAsked) { return; }
    lastAsked = text;
    var mine = ++sequence;
    var body = new URLSearchParams();
    body.set("subject", subject.value);
    body.set("description", description.value);
    fetch(address, {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken() },
      credentials: "same-origin",
      body: body
    }).then(function (response) {
      return response.text().then(function (html) { return { ok: response.ok, html: html }; });
    }).then(function (answer) {
      // Answers to an older keystroke arriving late are dropped.
      if (mine !== sequence) { return; }
      panel.innerHTML = answer.html;
      panel.setAttribute("data-state", answer.ok ? "answered" : "problem");
      announce();
    }).catch(function () { /* the Check for answers button still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 350);
  }

  subject.addEventListener("input", later);
  description.addEventListener("input", later);
})();
