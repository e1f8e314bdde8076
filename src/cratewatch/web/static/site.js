// cratewatch static site: version checks from precomputed data, and client-side search.
// No external code, no eval, no innerHTML: every text is set with textContent.
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function param(name) {
    return new URLSearchParams(window.location.search).get(name);
  }

  // ---- Security tab: apply ?version= using the table computed when the site was built.
  function applyVersion() {
    var data = document.getElementById("version-data");
    if (!data) return;
    var table = JSON.parse(data.textContent);
    var select = document.getElementById("version");
    var status = document.getElementById("version-status");
    if (!select || !status) return;  // nothing listed: no version form on this page
    var wanted = param("version");
    var crate = document.querySelector(".crate-name").textContent;
    status.textContent = "";
    if (!wanted) {
      status.appendChild(el("p", { "class": "muted" }, "Choose a version to see which advisories affect it."));
      return;
    }
    var facts = Object.prototype.hasOwnProperty.call(table, wanted) ? table[wanted] : null;
    if (!facts) {
      var err = el("p", { "class": "error", role: "alert" });
      err.appendChild(el("strong", {}, "Unknown version: "));
      err.appendChild(document.createTextNode(
        "'" + wanted + "' is not one of the versions this page knows; choose one from the list."));
      status.appendChild(err);
      return;
    }
    select.value = wanted;
    var affected = facts.affected;
    var informational = facts.informational;
    var listed = document.querySelectorAll("ol.advisories > li > article[data-listed='true']").length;
    var line = el("p", { "class": "status-line " + (affected.length ? "is-affected" : "not-affected") });
    if (affected.length) {
      line.appendChild(el("strong", {}, crate + " " + wanted + " is affected"));
      line.appendChild(document.createTextNode(
        " by " + affected.length + " of the " + listed + " advisories listed below."));
    } else {
      line.appendChild(el("strong", {}, "No advisory listed below affects " + crate + " " + wanted + "."));
    }
    if (informational.length) {
      line.appendChild(document.createTextNode(" " + informational.length + " informational " +
        (informational.length === 1 ? "advisory applies." : "advisories apply.")));
    }
    status.appendChild(line);
    if (affected.length) {
      var high = el("p", { "class": "highest" }, "Highest severity: ");
      if (facts.highest) {
        high.appendChild(el("span", { "class": "badge sev-" + facts.highest.rating.toLowerCase() },
          facts.highest.rating + " " + facts.highest.score.toFixed(1)));
        high.appendChild(document.createTextNode(" (CVSS " + facts.highest.version + ", "));
        high.appendChild(el("a", { href: "#" + facts.highest.id }, facts.highest.id));
        var unscored = facts.unscored.length;
        high.appendChild(document.createTextNode(")" + (unscored ? "; " + unscored + " affecting " +
          (unscored === 1 ? "advisory has" : "advisories have") + " no CVSS v3/v4 score." : ".")));
      } else {
        high.appendChild(document.createTextNode(
          "unknown: none of the affecting advisories has a CVSS v3 or v4 score."));
      }
      status.appendChild(high);
    }
    document.querySelectorAll("article.advisory").forEach(function (card) {
      var id = card.getAttribute("data-id");
      var isListed = card.getAttribute("data-listed") === "true";
      var hit = affected.indexOf(id) >= 0 || informational.indexOf(id) >= 0;
      var badge = card.querySelector("[data-status]");
      badge.hidden = false;
      badge.className = "badge " + (hit ? "affects" : "not-affected");
      badge.textContent = (hit ? (isListed ? "Affects " : "Applies to ") :
        (isListed ? "Does not affect " : "Does not apply to ")) + wanted;
      card.classList.toggle("is-affected", hit && isListed);
    });
    var tab = document.querySelector(".tab-security");
    if (tab) tab.classList.toggle("tab-alert", affected.length > 0);
  }

  // ---- Index page: search the JSON index written by `cratewatch site build`.
  function setupSearch() {
    var form = document.getElementById("site-search");
    var out = document.getElementById("search-results");
    if (!form || !out) return;
    var root = document.body.getAttribute("data-root") || "";
    var index = null;

    function key(s) { return s.toLowerCase().replace(/-/g, "_"); }

    function show(query) {
      out.textContent = "";
      var q = query.trim().slice(0, 100);
      if (!q) return;
      var k = key(q);
      var words = q.toLowerCase().split(/\s+/);
      var crates = index.crates.filter(function (c) { return key(c.name).indexOf(k) >= 0; });
      crates.sort(function (a, b) {
        var ra = key(a.name) === k ? 0 : key(a.name).indexOf(k) === 0 ? 1 : 2;
        var rb = key(b.name) === k ? 0 : key(b.name).indexOf(k) === 0 ? 1 : 2;
        return ra - rb || (a.name < b.name ? -1 : 1);
      });
      var up = q.toUpperCase();
      var advisories = index.advisories.filter(function (a) {
        if (a.id === up || a.aliases.indexOf(up) >= 0) return true;
        var t = a.title.toLowerCase();
        return words.every(function (w) { return t.indexOf(w) >= 0; });
      });
      out.appendChild(el("h2", {}, "Search results for \u201c" + q + "\u201d"));
      out.appendChild(el("h3", {}, "Crates (" + Math.min(crates.length, 25) + ")"));
      var cl = el("ul", { "class": "results" });
      crates.slice(0, 25).forEach(function (c) {
        var li = el("li");
        li.appendChild(el("a", { href: root + "crates/" + encodeURIComponent(c.name) + "/index.html" }, c.name));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", { "class": "muted" }, c.advisories + (c.advisories === 1 ? " advisory" : " advisories")));
        cl.appendChild(li);
      });
      if (!crates.length) cl.appendChild(el("li", {}, "No crate with advisories matches."));
      out.appendChild(cl);
      out.appendChild(el("h3", {}, "Advisories (" + Math.min(advisories.length, 25) + ")"));
      var al = el("ul", { "class": "results" });
      advisories.slice(0, 25).forEach(function (a) {
        var li = el("li");
        li.appendChild(el("a", { href: root + "advisories/" + encodeURIComponent(a.id) + ".html" }, a.id));
        li.appendChild(document.createTextNode(": " + a.title.replace(/`/g, "") + " "));
        li.appendChild(el("span", { "class": "muted" }, "(" + a.package + ")"));
        al.appendChild(li);
      });
      if (!advisories.length) al.appendChild(el("li", {}, "No advisory id, alias or title matches."));
      out.appendChild(al);
    }

    function run(query) {
      if (index) { show(query); return; }
      fetch(root + "search-index.json").then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (data) { index = data; show(query); }).catch(function (e) {
        out.textContent = "";
        out.appendChild(el("p", { "class": "error", role: "alert" }, "Search is unavailable: " + e.message));
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = document.getElementById("q").value;
      history.replaceState(null, "", "?q=" + encodeURIComponent(q));
      run(q);
    });
    var initial = param("q");
    if (initial) { document.getElementById("q").value = initial; run(initial); }
  }

  applyVersion();
  setupSearch();
})();
