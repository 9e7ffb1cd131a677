// The article editor: a live preview while typing, and a search-as-you-type picker for related
// articles. Without JavaScript the Preview button and the plain ids field do the same.
(function () {
  "use strict";
  var form = document.getElementById("article-form");
  if (!form) { return; }

  function jsonHeaders() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" };
  }

  function debounce(run, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(run, wait);
    };
  }

  // Live preview: the server renders and sanitises, exactly as the portal does.
  var body = document.getElementById("body");
  var preview = document.getElementById("preview");
  var previewSequence = 0;
  function refreshPreview() {
    var asked = ++previewSequence;
    fetch(body.dataset.preview, {
      method: "POST",
      headers: jsonHeaders(),
      credentials: "same-origin",
      body: JSON.stringify({ body: body.value })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (payload) {
      // Only the answer to the latest request is shown, whatever order they arrive in.
      if (payload && asked === previewSequence) { preview.innerHTML = payload.html; }
    }).catch(function () { /* the Preview button still works */ });
  }
  if (body && preview && body.dataset.preview) {
    body.addEventListener("input", debounce(refreshPreview, 300));
    if (body.value.trim()) { refreshPreview(); }
  }

  // Related articles: type a few words, pick a title, its id joins the ids field.
  var related = document.getElementById("related");
  var picker = document.getElementById("related-picker");
  var search = document.getElementById("related-search");
  var results = document.getElementById("related-results");
  if (!related || !picker || !search || !results || !related.dataset.lookup) { return; }
  picker.hidden = false;
  var lookupSequence = 0;

  function ids() {
    return related.value.split(/[\s,]+/).filter(function (item) { return item; });
  }

  function add(id) {
    var current = ids();
    if (current.indexOf(id) < 0) { current.push(id); }
    related.value = current.join(", ");
    search.value = "";
    results.textContent = "";
    search.focus();
  }

  function show(articles) {
    results.textContent = "";
    var chosen = ids();
    articles.forEach(function (article) {
      if (chosen.indexOf(article.id) >= 0) { return; }
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = article.title;
      button.title = article.id;
      button.addEventListener("click", function () { add(article.id); });
      item.appendChild(button);
      results.appendChild(item);
    });
  }

  search.addEventListener("keydown", function (event) {
    // Enter picks the first match instead of submitting the form.
    if (event.key === "Enter") {
      event.preventDefault();
      var first = results.querySelector("button");
      if (first) { first.click(); }
    }
  });
  search.addEventListener("input", debounce(function () {
    var text = search.value.trim();
    var asked = ++lookupSequence;
    if (!text) { results.textContent = ""; return; }
    fetch(related.dataset.lookup + "?q=" + encodeURIComponent(text), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (payload) {
      if (payload && asked === lookupSequence) { show(payload.articles); }
    }).catch(function () { /* the ids field still works */ });
  }, 200));
})();
