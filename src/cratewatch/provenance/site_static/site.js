// cratewatch provenance report: the crate table (index) and the file list and diffs (version
// pages). Every value from the data files is set as text, never as markup.
"use strict";

(function () {
  const main = document.getElementById("main");
  if (!main) return;
  const root = main.dataset.root || ".";
  const STATUSES = [
    "match", "symlink-caveat", "mismatch", "dirty", "revision-not-found", "no-vcs-info",
    "no-repository", "repository-unreachable", "submodule-missing", "not-found-in-repository",
    "error",
  ];

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function badge(status) {
    const known = STATUSES.includes(status) ? status : "error";
    return el("span", status, "badge status-" + known);
  }

  function crateHref(name, version) {
    const base = root + "/crates/" + encodeURIComponent(name) + "/";
    return version ? base + encodeURIComponent(version) + ".html" : base + "index.html";
  }

  async function getJSON(path) {
    const response = await fetch(path, { credentials: "same-origin" });
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    return response.json();
  }

  // Index page ---------------------------------------------------------------------------
  function setupIndex() {
    for (const segment of document.querySelectorAll(".stackbar .segment")) {
      segment.style.width = (100 * Number(segment.dataset.share)).toFixed(2) + "%";
    }
    const form = document.getElementById("filters");
    const body = document.querySelector("#crates tbody");
    const count = document.getElementById("crate-count");
    let rows = [];

    function render() {
      const name = form.elements.name.value.trim().toLowerCase();
      const status = form.elements.status.value;
      const problems = form.elements.problems.checked;
      const shown = rows.filter((row) => {
        if (name && !row.name.toLowerCase().includes(name)) return false;
        if (status && !(row.counts[status] > 0)) return false;
        if (problems && !(row.counts.mismatch > 0 || row.counts.dirty > 0)) return false;
        return true;
      });
      body.replaceChildren();
      for (const row of shown.slice(0, 2000)) {
        const tr = document.createElement("tr");
        tr.dataset.name = row.name;
        const nameCell = el("td");
        const link = el("a", row.name);
        link.href = crateHref(row.name);
        nameCell.append(link);
        const latest = el("td");
        const latestLink = el("a", row.latest);
        latestLink.href = crateHref(row.name, row.latest);
        latest.append(latestLink);
        const statusCell = el("td");
        statusCell.append(badge(row.status));
        const history = el("td");
        const strip = el("span", null, "history");
        strip.setAttribute("role", "img");
        strip.setAttribute("aria-label", row.history.join(", "));
        for (const s of row.history) {
          const dot = el("span", null, "status-" + (STATUSES.includes(s) ? s : "error"));
          dot.title = s;
          strip.append(dot);
        }
        history.append(strip);
        tr.append(nameCell, el("td", row.versions, "num"), latest, statusCell, history);
        body.append(tr);
      }
      const more = shown.length > 2000 ? " (first 2000 listed)" : "";
      count.textContent = "Showing " + shown.length + " of " + rows.length + " crates" + more + ".";
    }

    form.addEventListener("input", render);
    form.addEventListener("submit", (event) => event.preventDefault());
    getJSON(root + "/data/crates.json")
      .then((data) => { rows = data; render(); })
      .catch((error) => { count.textContent = "Could not load the crate list: " + error.message; });
  }

  // Version page -------------------------------------------------------------------------
  function diffBlock(text) {
    const pre = el("pre", null, "diff");
    for (const line of text.split("\n")) {
      let kind = "ctx";
      if (line.startsWith("+++") || line.startsWith("---")) kind = "hunk";
      else if (line.startsWith("@@")) kind = "hunk";
      else if (line.startsWith("+")) kind = "add";
      else if (line.startsWith("-")) kind = "del";
      pre.append(el("span", line, kind));
    }
    return pre;
  }

  function setupVersion() {
    const name = main.dataset.crate;
    const version = main.dataset.version;
    const files = document.querySelector("#files tbody");
    if (!files) return;
    const status = document.getElementById("files-status");
    const diffs = document.getElementById("diffs");
    const missing = document.getElementById("missing");
    getJSON(root + "/data/crates/" + encodeURIComponent(name) + ".json")
      .then((data) => {
        const entry = data.versions.find((v) => v.version === version);
        if (!entry) throw new Error("no such version in the data");
        const result = entry.result;
        files.replaceChildren();
        for (const file of result.files) {
          const tr = document.createElement("tr");
          tr.dataset.state = file.state;
          tr.append(
            el("td", file.path), el("td", file.state, "state-" + file.state),
            el("td", file.repo_path || ""), el("td", file.note || ""));
          files.append(tr);
        }
        status.textContent = result.files.length + " files.";
        diffs.replaceChildren();
        if (!result.differences.length) diffs.append(el("p", "None.", "muted"));
        for (const difference of result.differences) {
          const details = el("details", null, "diff");
          const summary = el("summary", difference.path + " (" + difference.state + ")");
          details.append(summary);
          if (difference.note) details.append(el("p", difference.note, "muted"));
          details.addEventListener("toggle", () => {
            if (details.open && !details.dataset.rendered) {
              details.dataset.rendered = "1";
              details.append(difference.diff ? diffBlock(difference.diff) : el("p", "No diff.", "muted"));
            }
          });
          diffs.append(details);
        }
        missing.replaceChildren();
        for (const path of result.missing_from_crate) missing.append(el("li", path));
        if (!result.missing_from_crate.length) missing.append(el("li", "None."));
      })
      .catch((error) => { status.textContent = "Could not load the files: " + error.message; });
  }

  if (main.dataset.page === "index") setupIndex();
  if (main.dataset.page === "version") setupVersion();
})();
