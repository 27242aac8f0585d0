// The page at /: calls the server's own API (/v1/summarise, /v1/digest, /v1/stories) and shows the answers.
"use strict";

const $ = (id) => document.getElementById(id);
const files = { article: null, digest: [] }; // what was opened: {name, content, html}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// The summary with each unsupported fact's occurrences marked (facts are quoted as the summary writes them).
function highlighted(summary, unsupported) {
  const ranges = [];
  for (const fact of unsupported || []) {
    let at = summary.indexOf(fact.text);
    while (fact.text && at >= 0) {
      ranges.push([at, at + fact.text.length, fact.kind]);
      at = summary.indexOf(fact.text, at + fact.text.length);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let html = "", position = 0;
  for (const [start, end, kind] of ranges) {
    if (start < position) continue; // overlaps a range already marked
    html += escapeHtml(summary.slice(position, start));
    html += `<mark class="unsupported" title="${escapeHtml(kind)} not in the article">${escapeHtml(summary.slice(start, end))}</mark>`;
    position = end;
  }
  return html + escapeHtml(summary.slice(position));
}

// POST the body as JSON, or GET without one.
async function call(path, body) {
  const headers = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) headers["X-API-Key"] = key;
  let response;
  try {
    const request = body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) };
    response = await fetch(path, request);
  } catch (err) {
    throw new Error(`the server cannot be reached (${err.message})`);
  }
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (answer.error) throw new Error(answer.error);
  return answer;
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({ name: file.name, content: reader.result, html: /\.html?$/i.test(file.name) || file.type === "text/html" });
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}

function setStatus(id, text, isError) {
  $(id).textContent = text;
  $(id).classList.toggle("error", Boolean(isError));
}

function showTab(name) {
  for (const view of ["article", "digest", "store"]) {
    $(`${view}-view`).hidden = view !== name;
    $(`tab-${view}`).classList.toggle("active", view === name);
  }
}

// --- one article ---------------------------------------------------------------------------

$("file").addEventListener("change", async () => {
  const file = $("file").files[0];
  if (!file) return;
  files.article = await readFile(file);
  $("file-name").textContent = file.name;
  $("text").value = files.article.html ? "" : files.article.content;
  $("text").placeholder = files.article.html ? `${file.name} (HTML page; its main text is summarised)` : $("text").placeholder;
});
$("text").addEventListener("input", () => { files.article = null; $("file-name").textContent = ""; });

function showSummary(record) {
  const faithfulness = (record.checks || {}).faithfulness || {};
  for (const lang of ["it", "en"]) {
    const summary = record[`summary_${lang}`];
    const wanted = $(`lang-${lang}`).checked;
    $(`summary-${lang}-box`).hidden = !wanted || summary === null;
    $(`summary-${lang}`).innerHTML = summary ? highlighted(summary, (faithfulness[lang] || {}).unsupported) : "";
  }
  $("warnings").innerHTML = "";
  for (const warning of record.warnings) {
    const item = document.createElement("li");
    item.textContent = warning;
    $("warnings").append(item);
  }
  if (!record.warnings.length) $("warnings").innerHTML = "<li>none</li>";
  $("provenance").textContent = JSON.stringify({ method: record.method, model: record.model, timings: record.timings }, null, 2);
  $("result").hidden = false;
}

$("article-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const article = files.article && files.article.html ? { html: files.article.content } : { text: $("text").value };
  if (files.article) article.id = files.article.name;
  if ($("title").value.trim()) article.title = $("title").value.trim();
  if (!article.html && !article.text.trim()) return setStatus("article-status", "paste an article or open a file", true);
  $("summarise").disabled = true;
  setStatus("article-status", "summarising…");
  try {
    const record = await call("/v1/summarise", article);
    showSummary(record);
    setStatus("article-status", "");
  } catch (err) {
    $("result").hidden = true;
    setStatus("article-status", err.message, true);
  } finally {
    $("summarise").disabled = false;
  }
});
for (const lang of ["it", "en"]) {
  $(`lang-${lang}`).addEventListener("change", () => {
    $(`summary-${lang}-box`).hidden = !$(`lang-${lang}`).checked || !$(`summary-${lang}`).textContent;
  });
}

// --- a digest of several ------------------------------------------------------------------

$("digest-files").addEventListener("change", async () => {
  files.digest = await Promise.all([...$("digest-files").files].map(readFile));
  $("digest-file-names").textContent = files.digest.map((f) => f.name).join(", ");
});

// Stories of a digest (into #stories) or of the store (#stored-stories: with when the store saw them).
function showStories(answer, box = $("stories")) {
  box.innerHTML = "";
  for (const story of answer.stories) {
    const section = document.createElement("section");
    section.className = "story";
    const disputes = story.sentences.flatMap((s) => s.disputed.map((d) =>
      `<p class="disputed">${escapeHtml(d.stated)} (${escapeHtml(s.article)}), ${escapeHtml(d.label)}: ` +
      d.others.map((o) => `${escapeHtml(o.text)} (${escapeHtml(o.articles.join(", "))})`).join("; ") + "</p>"));
    section.innerHTML =
      `<h2>${escapeHtml(story.headline || story.story_id)}</h2>` +
      `<p class="sources">${story.articles.length} article(s): ${escapeHtml(story.sources.join(", "))}` +
      (story.first_seen ? ` · seen ${escapeHtml(story.first_seen)} to ${escapeHtml(story.last_seen)}` +
        `${story.closed ? " · closed" : ""} · ${escapeHtml(story.story_id)}` : "") + "</p>" +
      (story.summary_it ? `<p><strong>IT</strong> ${escapeHtml(story.summary_it)}</p>` : "") +
      (story.summary_en ? `<p><strong>EN</strong> ${escapeHtml(story.summary_en)}</p>` : "") +
      disputes.join("") +
      (story.warnings.length ? `<ul>${story.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>` : "");
    box.append(section);
  }
  for (const failed of answer.errors || []) {
    const line = document.createElement("p");
    line.className = "status error";
    line.textContent = failed.error;
    box.append(line);
  }
}

$("digest-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const articles = files.digest.map((f) => (f.html ? { id: f.name, html: f.content } : { id: f.name, text: f.content }));
  $("digest-text").value.split(/^\s*---\s*$/m).map((t) => t.trim()).filter(Boolean)
    .forEach((text, i) => articles.push({ id: `pasted-${i + 1}`, text }));
  if (!articles.length) return setStatus("digest-status", "paste articles or open files", true);
  $("digest").disabled = true;
  setStatus("digest-status", `grouping ${articles.length} articles…`);
  try {
    const answer = await call("/v1/digest", { articles });
    showStories(answer);
    setStatus("digest-status", `${answer.stories.length} stories`);
  } catch (err) {
    $("stories").innerHTML = "";
    setStatus("digest-status", err.message, true);
  } finally {
    $("digest").disabled = false;
  }
});

// --- the store's stories ------------------------------------------------------------------

$("store-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("load-stories").disabled = true;
  setStatus("store-status", "reading the store…");
  try {
    const answer = await call(`/v1/stories?since=${encodeURIComponent($("since").value.trim())}`);
    showStories(answer, $("stored-stories"));
    setStatus("store-status", `${answer.stories.length} stories with news since ${answer.since}`);
  } catch (err) {
    $("stored-stories").innerHTML = "";
    setStatus("store-status", err.message, true);
  } finally {
    $("load-stories").disabled = false;
  }
});

$("tab-article").addEventListener("click", () => showTab("article"));
$("tab-digest").addEventListener("click", () => showTab("digest"));
$("tab-store").addEventListener("click", () => showTab("store"));
