// Live suggestions on the request form: a debounced call to /api/v1/suggest while typing.
// Without JavaScript the "Check for answers" button does the same on the server.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  var panel = document.getElementById("suggestions");
  if (!form || !panel) { return; }
  var subject = document.getElementById("subject");
  var description = document.getElementById("description");
  var timer = null;
  var lastAsked = "";
  var sequence = 0;

  // The page's CSRF token: the API asks for it when the visitor is signed in.
  function jsonHeaders() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" };
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function level(probability) {
    return probability >= 0.8 ? "high" : probability >= 0.5 ? "medium" : "low";
  }

  function render(payload) {
    panel.textContent = "";
    if (!payload.hits.length) {
      panel.appendChild(element("p", "muted",
        "No confident answer for this yet. Submit the request and the service desk will help."));
      return;
    }
    var summary = element("p", "summary", payload.confident
      ? "One of these is likely to solve it (" + Math.round(payload.deflection * 100) + "%)."
      : "We are not sure these will solve it.");
    summary.id = "suggestion-summary";
    panel.appendChild(summary);
    var list = element("ol", "result-list");
    payload.hits.forEach(function (hit) {
      var item = element("li", "result" + (hit.kind === "ticket" ? " resolved-request" : ""));
      var head = element("div", "result-head");
      var title;
      if (hit.url) {
        title = element("a", "result-title", hit.title);
        title.href = hit.url.replace(/(#|$)/, function (mark) {
          return (hit.url.indexOf("?") < 0 ? "?" : "&") + "from=suggestion" + mark;
        });
        title.target = "_blank";
        title.rel = "noopener";
      } else {
        title = element("span", "result-title", hit.title);
      }
      head.appendChild(title);
      var confidence = element("span", "confidence confidence-" + level(hit.deflection),
        hit.label + " · " + Math.round(hit.deflection * 100) + "%");
      confidence.title = "Estimated chance this solves it: " + Math.round(hit.deflection * 100) + "%";
      head.appendChild(confidence);
      item.appendChild(head);
      if (hit.section) { item.appendChild(element("div", "result-section", hit.section.split(" > ").join(" › "))); }
      item.appendChild(element("p", "snippet", hit.snippet));
      var meta = element("div", "result-meta");
      if (hit.category) { meta.appendChild(element("span", "chip", hit.category)); }
      item.appendChild(meta);
      if (hit.kind === "article") {
        var solved = element("button", "link-button", "This solved my problem");
        solved.type = "button";
        solved.setAttribute("data-solved", hit.id);
        solved.addEventListener("click", function () { markSolved(hit); });
        meta.appendChild(solved);
      }
      list.appendChild(item);
    });
    panel.appendChild(list);
  }

  function markSolved(hit) {
    // Nothing typed or answered after this may redraw the panel over the confirmation.
    window.clearTimeout(timer);
    sequence += 1;
    subject.removeEventListener("input", later);
    description.removeEventListener("input", later);
    fetch("/api/v1/resolved", {
      method: "POST",
      headers: jsonHeaders(),
      credentials: "same-origin",
      body: JSON.stringify({ article_id: hit.id })
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      panel.textContent = "";
      var done = element("div", "notice success");
      done.id = "solved-message";
      done.appendChild(element("strong", "", "Glad that solved it. "));
      done.appendChild(document.createTextNode("No request was filed. The answer was “" + hit.title + "”."));
      panel.appendChild(done);
      form.querySelectorAll("button, input, textarea, select").forEach(function (field) {
        field.disabled = true;
      });
    }).catch(function () {
      panel.appendChild(element("p", "notice error", "Could not record that; please try again."));
    });
  }

  function ask() {
    var text = subject.value.trim() + "\n" + description.value.trim();
    if (text.trim().length < 3 || text === lastAsked) { return; }
    lastAsked = text;
    var mine = ++sequence;
    fetch("/api/v1/suggest", {
      method: "POST",
      headers: jsonHeaders(),
      credentials: "same-origin",
      body: JSON.stringify({ subject: subject.value, description: description.value })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (payload) {
      // Answers to an older keystroke arriving late are dropped.
      if (payload && mine === sequence) { render(payload); }
    }).catch(function () { /* the Check for answers button still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 350);
  }

  subject.addEventListener("input", later);
  description.addEventListener("input", later);
})();
