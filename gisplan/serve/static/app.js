/* gisplan serve: the reviewer's page. No framework, no network beyond this server. Needs i18n.js and map.js. */
"use strict";

const state = { lang: localStorage.getItem("gisplan.lang") || "zh", csrf: null, user: null, role: null,
                site: null, siteLabel: null, current: null, error: null, understood: null, industry: null,
                labels: null, unit: null };
const $ = (sel) => document.querySelector(sel);
const t = (key) => (T[state.lang] && T[state.lang][key]) || T.zh[key] || key;
const lang = () => state.lang;
const colon = () => (state.lang === "zh" ? "：" : ": ");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/* ---------- messages: the server's come as {code, message: {zh, en}}; the page's own as {key, values} ---------- */
class PageError extends Error {
  constructor(body, status) {
    super((body && body.error) || ("HTTP " + status));
    this.body = body || {};
    this.status = status;
  }
}

function words(msg) {
  if (!msg) return "";
  if (msg instanceof PageError) {
    const m = msg.body.message;
    return m ? (m[lang()] || m.zh) : t("net_error");
  }
  if (msg.message && typeof msg.message === "object") return msg.message[lang()] || msg.message.zh;
  if (msg.zh !== undefined) return msg[lang()] || msg.zh;
  if (msg.key) {
    const values = {};
    for (const [k, v] of Object.entries(msg.values || {})) values[k] = typeof v === "string" && T.zh[v] ? t(v) : v;
    return fill(t(msg.key), values);
  }
  return t("net_error");
}

function errorCode(err) {
  if (!err) return "";
  if (err instanceof PageError) return err.body.code || (err.status ? "http_" + err.status : "net_error");
  return err.code || err.key || "";
}

function showError(err) {
  state.error = err || null;
  $("#error").textContent = words(state.error);
  $("#error").dataset.code = errorCode(state.error);
}

async function api(path, options = {}) {
  const opts = Object.assign({ credentials: "same-origin", headers: {} }, options);
  if (opts.method && opts.method !== "GET" && state.csrf) opts.headers["X-CSRF-Token"] = state.csrf;
  let response;
  try {
    response = await fetch(path, opts);
  } catch (e) {
    throw new PageError(null, 0);
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("application/json") ? await response.json() : await response.text();
  if (!response.ok) throw new PageError(typeof data === "object" ? data : null, response.status);
  return data;
}

function form(fields) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || v === undefined || v === "") continue;
    if (v instanceof Blob) fd.append(k, v, v.name || "site"); else fd.append(k, v);
  }
  if (state.csrf) fd.append("csrf_token", state.csrf);
  return fd;
}

function busy(on) {
  $("#busy").hidden = !on;
  for (const id of ["#read", "#screen"]) $(id).disabled = on || !state.site;
}

/* ---------- language ---------- */
function applyLang() {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  document.title = "gisplan · " + t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  fillChoices();
  showError(state.error);
  if (state.siteLabel) $("#site-chosen").textContent = t("chosen") + (T.zh[state.siteLabel] ? t(state.siteLabel) : state.siteLabel);
  renderIndustryChosen();
  if (state.understood) renderUnderstood(state.understood);
  if (state.current) showResult(state.current, false);
  if (state.unit) renderUnit(state.unit);
  if (MAP.map) { buildLayerControl(); drawingChanged(); }
  if (!$("#page-record").hidden) loadRecord();
}

function fillChoices() {
  const labels = state.labels || {};
  const crs = $("#source_crs");
  const current = crs.value;
  crs.replaceChildren();
  const groups = { zone: el("optgroup", { label: t("crs_group_zone") }), cm: el("optgroup", { label: t("crs_group_cm") }) };
  for (const c of labels.crs || [{ value: "", zh: "自动", en: "Automatic", group: "common" }]) {
    const option = el("option", { value: c.value }, c[lang()] || c.zh);
    (groups[c.group] || crs).append(option);
  }
  crs.append(groups.zone, groups.cm, el("option", { value: "__other" }, t("crs_other")));
  crs.value = current || "";
  const nature = $("#construction_nature");
  const chosen = nature.value;
  nature.replaceChildren(el("option", { value: "" }, t("nature_none")),
    ...(labels.natures || []).map((n) => el("option", { value: n.value }, n[lang()] || n.zh)));
  nature.value = chosen || "";
  const colours = labels.colours;
  if (colours) {
    MAP.colours = colours;
    for (const sw of document.querySelectorAll("[data-colour]")) {
      const [group, key] = sw.dataset.colour.split(".");
      if (colours[group] && colours[group][key]) sw.style.background = colours[group][key];
    }
  }
}

/* ---------- session ---------- */
async function loadSession() {
  const s = await api("/api/session");
  state.csrf = s.csrf; state.user = s.user; state.role = s.role;
  const logged = !!s.user;
  $("#login").hidden = logged;
  $("#tabs").hidden = !logged;
  $("#logout").hidden = !logged || s.mode === "local";
  $("#tab-admin").hidden = s.role !== "admin";
  $("#who").textContent = logged ? s.user : "";
  showTab(logged ? "screen" : null);
}

async function login(event) {
  event.preventDefault();
  $("#login-error").textContent = "";
  try {
    const s = await api("/api/login", { method: "POST", body: form({ username: $("#username").value, password: $("#password").value }) });
    state.csrf = s.csrf;
    $("#password").value = "";
    await loadSession();
  } catch (e) { $("#login-error").textContent = words(e); }
}

async function logout() {
  await api("/api/logout", { method: "POST", body: form({}) });
  state.current = null;
  $("#result").hidden = true;
  await loadSession();
}

function showTab(name) {
  for (const page of document.querySelectorAll("main.tab")) page.hidden = page.id !== "page-" + name;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  if (name === "screen") { initMap(showUnit, siteDrawn, showError); setTimeout(() => MAP.map && MAP.map.invalidateSize(), 50); }
  if (name === "record") loadRecord();
  if (name === "admin") loadAdmin();
}

/* ---------- choosing a site ---------- */
function chooseSite(file, label) {
  state.site = file;
  state.siteLabel = label;
  $("#site-chosen").textContent = t("chosen") + (T.zh[label] ? t(label) : label);
  $("#understood").hidden = true;
  state.understood = null;
  showError(null);
  busy(false);
}

function siteDrawn(geojson, kind) {
  const file = new File([JSON.stringify(geojson)], t("drawn") + ".geojson", { type: "application/geo+json" });
  chooseSite(file, "drawn");
  if (kind === "point" && !$("#radius").value) $("#radius").value = 500;
  if (kind === "line" && !$("#width").value) $("#width").value = 50;
}

/* A pasted corner table as CSV: any of tab, spaces, commas or 、，; between the columns; a header is added when
   there is none (X/Y for metres, as surveyors list them: X the northing; 经度/纬度 for degrees, by their values). */
function pastedTable(text) {
  const rows = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((l) => l.split(/[\t,，;；、]+|\s+/).filter(Boolean));
  if (!rows.length) return null;
  const num = (v) => v !== undefined && /^[-+]?\d+(\.\d+)?$/.test(v);
  const first = rows[0];
  const headless = first.length >= 2 && num(first[first.length - 1]) && num(first[first.length - 2]);
  if (headless) {
    const n = first.length;
    const a = parseFloat(first[n - 2]), b = parseFloat(first[n - 1]);
    let names;
    if (Math.abs(a) > 1000 || Math.abs(b) > 1000) names = ["X", "Y"];
    else names = (a >= 73 && a <= 136 && b >= 3 && b <= 54) ? ["经度", "纬度"] : ["纬度", "经度"];
    rows.unshift(n >= 3 ? ["点号", ...names] : names);
    if (n >= 3) for (const r of rows.slice(1)) if (r.length > 3) r.splice(1, r.length - 3);
  }
  return rows.map((r) => r.join(",")).join("\n") + "\n";
}

/* ---------- read and screen ---------- */
function crsValue() {
  const v = $("#source_crs").value;
  return v === "__other" ? $("#crs_other").value.trim() : v;
}

function readOptions() {
  return { source_crs: crsValue(), layer: $("#layer").value.trim(), encoding: $("#encoding").value.trim() };
}

function industryValue() {
  const typed = $("#industry").value.trim();
  if (state.industry && typed === industryText(state.industry)) return state.industry.code;
  return typed;
}

function screenOptions() {
  return Object.assign(readOptions(), {
    radius: $("#radius").value, width: $("#width").value, buffer: $("#buffer").value,
    industry: industryValue(), national_major: $("#national_major").value,
    project_name: $("#project_name").value.trim(), builder: $("#builder").value.trim(),
    project_code: $("#project_code").value.trim(), construction_nature: $("#construction_nature").value,
  });
}

async function readSite() {
  if (!state.site) { showError({ key: "drop_file" }); return null; }
  showError(null); busy(true);
  try {
    const out = await api("/api/read", { method: "POST", body: form(Object.assign({ file: state.site }, readOptions())) });
    state.understood = out.understood;
    renderUnderstood(out.understood);
    showSite({ type: "FeatureCollection", features: [out.geojson] });
    return out;
  } catch (e) { showError(e); return null; } finally { busy(false); }
}

const n2 = (x, d) => Number(x).toLocaleString(lang() === "zh" ? "zh-CN" : "en", { minimumFractionDigits: d, maximumFractionDigits: d });

function renderUnderstood(u) {
  const lines = [];
  const item = (k, v) => el("li", {}, el("b", {}, t(k) + colon()), v);
  lines.push(item("u_file", u.file + (u.name ? `（${u.name}）` : "")));
  lines.push(item("u_format", u.format[lang()]));
  lines.push(item("u_crs", u.crs[lang()]));
  lines.push(item("u_parts", fill(t("u_parts_value"), u.parts)));
  lines.push(item("u_vertices", u.vertices));
  if (u.area_m2 !== undefined) {
    lines.push(item("u_area", fill(t("u_area_value"), { ell: n2(u.area_m2 / 1e4, 4), plan: n2(u.area_gk_m2 / 1e4, 4), gk: u.gk_crs })));
  }
  if (u.length_m !== undefined) lines.push(item("u_length", fill(t("u_length_value"), { km: n2(u.length_m / 1000, 3) })));
  const [x0, y0, x1, y1] = u.bounds;
  lines.push(item("u_bounds", fill(t("u_bounds_value"), { x0: x0.toFixed(6), x1: x1.toFixed(6), y0: y0.toFixed(6), y1: y1.toFixed(6) })));
  for (const d of u.details) lines.push(el("li", {}, words(d)));
  $("#understood-lines").replaceChildren(...lines);
  $("#understood-warnings").replaceChildren(...u.warnings.map((w) => el("li", {}, words(w))));
  $("#understood").hidden = false;
}

async function screenSite() {
  if (!state.site) { showError({ key: "drop_file" }); return; }
  const understood = await readSite();
  if (!understood) return;
  busy(true);
  try {
    const result = await api("/api/screen", { method: "POST", body: form(Object.assign({ file: state.site }, screenOptions())) });
    const entry = await api(`/api/screenings/${result.id}`);
    showResult(Object.assign({ id: result.id }, entry), true);
  } catch (e) { showError(e); } finally { busy(false); }
}

/* ---------- the result ---------- */
const ha = (m2) => n2(m2 / 1e4, 4);
const pct = (x) => (100 * x).toFixed(1) + "%";
const SEVERITY = ["prohibited", "restricted", "review", "allowed", "not_applicable"];

function table(head, rows, numeric = []) {
  if (!rows.length) return el("p", { class: "meta" }, t("none"));
  return el("div", { class: "scroll" }, el("table", head.length <= 2 ? { class: "narrow" } : {},
    el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => el("td", numeric.includes(i) ? { class: "num" } : {}, c ?? "")))))));
}

function kindWords(kind) { return t("kind_" + kind); }

/* Where the store's data stops (the JSON's coverage: inside, partial, outside, or unknown without control units). */
function coverageBanner(r) {
  const c = r.coverage || {};
  if (!c.status || c.status === "inside") return null;
  const extent = c.extent_label ? (lang() === "zh" ? `（${c.extent_label}）` : ` (${c.extent_label})`) : "";
  const key = { outside: "coverage_outside", partial: "coverage_partial", unknown: "coverage_unknown" }[c.status];
  const text = fill(t(key || "coverage_unknown"), { extent, ha: ha(c.outside_m2 || 0), pct: pct(c.outside_share || 0) });
  return el("div", { class: "coverage " + c.status, id: "coverage", role: "alert", "data-coverage": c.status }, text);
}

/* The verdict as the page shows it: no verdict where the site lies wholly outside the data (the JSON says review). */
function shownVerdict(r) {
  if ((r.coverage || {}).status === "outside") return "outside";
  return (r.verdict || {}).overall || "review";
}

function industryWords(i) {
  if (!i) return t("in_industry_none");
  const item = i.catalogue_item ? fill(t("catalogue_item"), { n: i.catalogue_item }) + " " : "";
  const how = i.query && !["code", "catalogue item"].includes(i.matched_by) ? `（${fill(t("matched_by"), { q: i.query })}）` : "";
  return `${item}${i.code} ${i.name}${lang() === "zh" ? how : how.replace("（", " (").replace("）", ")")}`;
}

function inputsList(entry) {
  const r = entry.result, p = r.parameters || {}, v = r.verdict || {}, params = entry.params || {};
  const rows = [[t("in_industry"), industryWords(v.industry)]];
  if (p.width_m) rows.push([t("in_width"), fill(t("metres"), { v: p.width_m })]);
  if (p.radius_m) rows.push([t("in_radius"), fill(t("metres"), { v: p.radius_m })]);
  rows.push([t("in_buffer"), fill(t("metres"), { v: p.buffer_m })]);
  const major = p.national_major === true ? "yes" : p.national_major === false ? "no" : "unknown";
  rows.push([t("in_major"), t(major)]);
  const nature = (r.project || {}).construction_nature || params.construction_nature;
  if (nature) {
    const n = ((state.labels || {}).natures || []).find((x) => x.value === nature);
    rows.push([t("nature"), n ? n[lang()] : ((r.project || {}).construction_nature_label || nature)]);
  }
  const crs = ((state.labels || {}).crs || []).find((c) => c.value === (r.project || {}).source_crs);
  rows.push([t("in_crs"), crs ? crs[lang()] : ((r.project || {}).source_crs || "")]);
  const store = r.store || {};
  const layers = Object.entries(store.layers || {}).map(([k, val]) => `${kindWords(k)}: ${String(val).split(",")[0]}`).join("；");
  rows.push([t("in_store"), el("span", { title: layers }, `${store.path || ""} ${(store.sha256 || "").slice(0, 12)}`)]);
  return el("dl", { class: "inputs", id: "inputs" }, rows.map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]));
}

function projectList(entry) {
  const r = entry.result, p = r.project || {}, params = entry.params || {};
  const rows = [[t("project_name"), p.name || params.project_name || entry.site_name || ""]];
  const builder = p.builder || params.builder, code = p.project_code || params.project_code;
  if (builder) rows.push([t("builder"), builder]);
  if (code) rows.push([t("project_code"), code]);
  rows.push([t("area"), `${ha(p.area_m2 || 0)} ${t("ha")}`]);
  rows.push([t("id"), entry.id + (entry.user ? ` · ${t("screened_by")} ${entry.user}` : "")
             + (entry.created_at ? ` · ${localTime(entry.created_at)}` : "")]);
  return el("dl", { class: "inputs", id: "project-info" }, rows.map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]));
}

function candidatesBox(entry) {
  const i = (entry.result.verdict || {}).industry;
  if (!i || !i.query || ["code", "catalogue item"].includes(i.matched_by)) return null;
  // verdict.industry.candidates: what the same words could also mean (gisplan.rules.industry.industry_candidates)
  const others = (i.candidates || []).filter((c) => !c.chosen && c.code !== i.code);
  if (!others.length) return null;
  return el("div", { class: "candidates", id: "candidates" }, el("div", {}, fill(t("candidates"), { q: i.query })),
    el("ul", {}, others.slice(0, 8).map((c) => el("li", {},
      el("button", { type: "button", class: "link", "data-candidate": c.code, onclick: () => useCandidate(c) }, t("candidate_use")),
      el("span", {}, (c.catalogue_item ? fill(t("catalogue_item"), { n: c.catalogue_item }) + " " : "") + `${c.code} ${c.name}`)))));
}

function useCandidate(c) {
  state.industry = c;
  $("#industry").value = industryText(c);
  renderIndustryChosen();
  screenSite();
}

/* findings grouped as the verdict groups them (verdict.groups, gisplan.finding_groups: strictest group first,
   not-applicable findings folded); the headings in the page's language */
function groupLabel(g) {
  const words = ((state.labels || {}).groups || {})[g.key];
  const cap = (x) => x.charAt(0).toUpperCase() + x.slice(1);  // a heading (the labels run in sentences elsewhere)
  if (words) return lang() === "zh" ? words.zh : cap(words.en);
  if (T.zh["kind_" + g.key]) return kindWords(g.key);
  return lang() === "zh" ? (g.label || t("group_other")) : t("group_other");
}

/* Counts per decision: a group's non-zero ones; the whole verdict's all five (allowed beside not applicable,
   so a clause that does not apply is never read as one that complies). */
function countChips(counts, zeros = false) {
  return SEVERITY.filter((d) => counts && (counts[d] || (zeros && d in counts)))
    .map((d) => el("span", { class: "chip " + d, "data-count": d }, `${t("d_" + d)} ${counts[d]}`));
}

function findingRow(f) {
  const rule = (lang() === "en" && f.rule_en) || f.rule || "";
  const where = [kindWords(f.kind), f.name, f.zone_label].filter(Boolean).join(" · ");
  return el("div", { class: "finding " + f.decision, "data-decision": f.decision },
    el("div", {}, el("span", { class: "dec" }, t("d_" + f.decision)), el("span", {}, where)),
    rule ? el("div", {}, rule) : null,
    f.citation ? el("div", { class: "cite" }, `${t("citation")}${colon()}${f.citation}`) : null,
    f.follow_up ? el("div", { class: "follow", "data-follow-up": "" }, `${t("follow_up")}${colon()}${f.follow_up}`) : null);
}

function findingsBlock(v) {
  const all = v.findings || [];
  const pick = (indices) => (indices || []).map((i) => all[i]).filter(Boolean);
  return el("div", { id: "findings" },
    el("div", { class: "counts", id: "counts" }, el("span", { class: "meta" }, t("counts") + colon()), countChips(v.counts, true)),
    (v.groups || []).map((g) => {
      const folded = pick(g.folded);
      return el("section", { class: "group", "data-group": g.key, "data-worst": g.worst },
        el("h4", {}, el("span", {}, groupLabel(g)), countChips(g.counts)),
        pick(g.findings).map(findingRow),
        folded.length ? el("details", { class: "na" }, el("summary", {}, fill(t("fold_na"), { n: folded.length })), folded.map(findingRow)) : null);
    }));
}

function point(p) {
  if (!p) return "";
  return `X ${n2(p.x_northing, 3)}，Y ${n2(p.y_easting, 3)}；${p.lon.toFixed(6)}, ${p.lat.toFixed(6)}`;
}

function crossingsBlock(r) {
  const rows = (r.crossings || []).map((c) => [
    [kindWords(c.kind), c.name, c.zone_label !== T.zh["kind_" + c.kind] ? c.zone_label : ""].filter(Boolean).join(" "),
    c.starts_inside ? t("cr_start_inside") : point(c.entry), c.ends_inside ? t("cr_end_inside") : point(c.exit),
    n2(c.length_m, 1), ha(c.area_m2)]);
  if (!rows.length) return null;
  const gk = (r.crossings[0] || {}).gk_crs || "";
  return [el("h3", {}, t("crossings")),
          el("p", { class: "meta" }, `${t("gk")} ${gk}（X ${lang() === "zh" ? "北坐标" : "northing"}，Y ${lang() === "zh" ? "东坐标" : "easting"}）；${t("lonlat")} CGCS2000`),
          table([t("cr_zone"), t("cr_entry"), t("cr_exit"), t("cr_length"), t("cr_area")], rows, [3, 4])];
}

function showResult(entry, fresh) {
  state.current = entry;
  const r = entry.result;
  const v = r.verdict || {};
  const box = $("#result");
  const link = (name, label) => el("a", { href: `/api/screenings/${entry.id}/${name}?lang=${lang()}`, download: "",
                                           "data-download": name }, label);
  const cats = Object.entries(r.by_category || {}).map(([k, m2]) => [t(k), ha(m2)]);
  const units = (r.control_units || []).map((u) => [
    el("button", { type: "button", class: "link", "data-unit": u.code, onclick: () => showUnit(u.code) }, u.code),
    u.name, lang() === "zh" ? u.category_label : t(u.category), ha(u.overlap_m2), pct(u.share_of_project)]);
  const lineKind = (x) => x.kind === "basic_farmland" || x.kind === "urban_boundary";  // in the three-lines table
  const hits = (r.hits || []).filter((h) => !lineKind(h))
    .map((h) => [kindWords(h.kind), h.name, h.zone_label, ha(h.overlap_m2), pct(h.share_of_project)]);
  const near = (r.nearby || []).filter((n) => !lineKind(n))
    .map((n) => [kindWords(n.kind), n.name, n.zone_label, Math.round(n.distance_m), directionWords(n)]);
  const notes = entry.notes || (r.warnings || []).map((w) => ({ zh: w, en: w }));
  const iframe = el("iframe", { class: "resultmap", title: t("map"), src: `/api/screenings/${entry.id}/map.html?lang=${lang()}` });
  box.replaceChildren(...[
    coverageBanner(r),
    el("div", { class: "verdict " + shownVerdict(r), id: "verdict", "data-verdict": shownVerdict(r) },
       `${t("overall")}${colon()}${t("d_" + shownVerdict(r))}`),
    projectList(entry),
    el("h3", {}, t("inputs")), inputsList(entry), candidatesBox(entry),
    el("div", { class: "downloads" }, t("downloads") + colon(), link("report.docx", "DOCX"),
       link("report.xlsx", "XLSX"), link("report.pdf", "PDF"), link("report.png", "PNG"), link("report.json", "JSON"),
       link("layers.gpkg", "GeoPackage"), link("layers.kmz", "KMZ")),
    el("h3", {}, t("findings")), findingsBlock(v),
    crossingsBlock(r),
    el("p", { class: "meta", id: "map-loading" }, t("map_loading")), iframe,
    // a site wholly outside the data: no table of zeros (the banner at the top says why)
    shownVerdict(r) === "outside" ? null : [el("h3", {}, t("by_category")), table([t("category"), t("overlap")], cats, [1])],
    el("h3", {}, t("units")), table([t("code"), t("name"), t("category"), t("overlap"), t("share")], units, [3, 4]),
    el("h3", {}, t("hits")), table([t("kind"), t("name"), t("zone"), t("overlap"), t("share")], hits, [3, 4]),
    el("h3", {}, t("nearby")), table([t("kind"), t("name"), t("zone"), t("distance"), t("direction")], near, [3]),
    r.three_lines ? threeLinesTable(r.three_lines) : null,
    el("h3", {}, t("warnings")), notes.length
      ? el("ul", { class: "warnings", id: "notes" }, notes.map((w) => el("li", {}, words(w)))) : el("p", { class: "meta" }, t("none")),
  ].flat(Infinity).filter(Boolean));
  iframe.addEventListener("load", () => { const m = $("#map-loading"); if (m) m.remove(); });
  box.hidden = false;
  if (fresh && MAP.map && r.project && r.project.bounds) {
    MAP.map.invalidateSize();
    const [x0, y0, x1, y1] = r.project.bounds;
    MAP.map.fitBounds([[y0, x0], [y1, x1]].map(([y, x]) => { const [dx, dy] = toDisplay(x, y); return [dy, dx]; }),
                      { maxZoom: 15, padding: [30, 30] });
  }
  if (fresh && window.innerWidth < 860) $("#result").scrollIntoView({ block: "start" });
}

/* ---------- a control unit's card ---------- */
async function showUnit(code) {
  try {
    state.unit = await api(`/api/units/${encodeURIComponent(code)}`);
    renderUnit(state.unit);
    $("#unit-card").scrollIntoView({ block: "nearest" });
  } catch (e) { showError(e); }
}

function renderUnit(u) {
  const card = $("#unit-card");
  const en = lang() === "en";
  const dims = u.clauses.map((d) => el("div", { class: "dimension", "data-dimension": d.dimension },
    el("h4", {}, en ? d.label_en : d.label),
    el("ol", {}, d.clauses.map((c) => el("li", {}, el("span", { class: "chip" }, en ? c.tier : c.tier_label), " ",
      c.scope ? `${c.scope}：` : "", c.text, el("div", { class: "cite" }, `${t("source")}${colon()}${c.source} ${c.article}`))))));
  card.replaceChildren(...[
    el("div", { class: "head" }, el("h2", {}, `${t("unit_card")} ${u.code}`),
       el("button", { type: "button", id: "unit-close", onclick: () => { state.unit = null; card.hidden = true; } }, t("close"))),
    el("dl", { class: "inputs" },
       el("dt", {}, t("name")), el("dd", {}, u.name),
       el("dt", {}, t("category")), el("dd", {}, en ? t(u.category) : u.category_label),
       el("dt", {}, t("unit_county")), el("dd", {}, u.county),
       el("dt", {}, t("unit_area")), el("dd", {}, `${n2(u.area_m2 / 1e4, 2)} ${t("ha")}`)),
    el("h3", {}, t("unit_clauses")),
    !u.has_list ? el("p", { class: "meta" }, t("unit_no_list"))
      : dims.length ? el("div", { class: "clauses" }, dims) : el("p", { class: "meta" }, t("unit_no_clauses"))]);
  card.hidden = false;
}

/* The site and the three control lines (JSON "three_lines"): one row per line, in the page's language. */
function threeLinesTable(lines) {
  const rows = (lines || []).map((l) => {
    let relation = t("tl_" + l.status);
    if (l.status === "outside") {
      const n = l.nearest;
      const where = n ? fill(t("tl_nearest"), { where: lang() === "zh" ? n.position
        : `${n2(n.distance_m / 1000, 1)} km ${directionWords(n)}` }) : t("tl_none_within");
      relation += lang() === "zh" ? `（${where}）` : ` (${where})`;
    }
    const parts = (l.zones || []).map((z) => `${lineZoneWords(l.line, z)} ${ha(z.overlap_m2)} ${t("ha")}`)
      .join(lang() === "zh" ? "；" : "; ");
    return [kindWords(l.line), relation, l.occupied_m2 == null ? "—" : ha(l.occupied_m2),
            l.share == null ? "—" : pct(l.share), parts || "—"];
  });
  return [el("h3", { id: "three-lines" }, t("three_lines")),
          table([t("tl_line"), t("tl_relation"), t("overlap"), t("share"), t("tl_parts")], rows, [2, 3])];
}

/* A zone of a control line in the page's language: the Chinese label as delivered, or English words from its
   code (a farmland patch's land class in words when it is one of the survey's three, else as delivered). */
function lineZoneWords(line, z) {
  if (lang() === "zh") return z.zone_label || z.zone || "";
  if (line === "basic_farmland") {
    const m = /（(.+)）$/.exec(z.zone_label || "");
    const land = m ? (T.en["land_" + m[1]] || m[1]) : "";
    return t("zone_farmland") + (land ? ` (${land})` : "");
  }
  return T.en["zone_" + z.zone] || z.zone_label || z.zone || "";
}

/* A direction from the site (the JSON's Chinese word, or an English one from the azimuth). */
function directionWords(n) {
  if (lang() === "zh" || n.azimuth_deg == null) return n.direction || "";
  return t("dir_" + ["n", "ne", "e", "se", "s", "sw", "w", "nw"][Math.round(((n.azimuth_deg % 360) + 360) % 360 / 45) % 8]);
}

/* ---------- the record ---------- */
function localTime(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const p = (x) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

async function loadRecord(event) {
  if (event) event.preventDefault();
  const q = new URLSearchParams();
  if ($("#record-q").value.trim()) q.set("q", $("#record-q").value.trim());
  if ($("#record-verdict").value) q.set("verdict", $("#record-verdict").value);
  if ($("#record-from").value) q.set("since", new Date($("#record-from").value + "T00:00:00").toISOString());
  if ($("#record-to").value) {
    const end = new Date($("#record-to").value + "T00:00:00");
    end.setDate(end.getDate() + 1);
    q.set("until", end.toISOString());
  }
  try {
    const out = await api("/api/screenings?" + q.toString());
    const rows = out.screenings.map((s) => el("tr", { "data-id": s.id },
      el("td", { class: "num" }, localTime(s.created_at)), el("td", {}, s.user), el("td", {}, s.site_name),
      el("td", {}, (s.params || {}).builder || ""), el("td", {}, (s.params || {}).industry || ""),
      el("td", { "data-verdict": s.verdict }, t("d_" + s.verdict)),
      el("td", { title: Object.entries(s.store.layers || {}).map(([k, v]) => `${kindWords(k)}: ${v}`).join("\n") },
         `${s.store.name} ${s.store.sha256.slice(0, 12)}`),
      el("td", {}, el("button", { type: "button", "data-open": s.id }, t("open")))));
    $("#record-table tbody").replaceChildren(...rows);
    $("#record-empty").hidden = rows.length > 0;
  } catch (e) { $("#record-empty").hidden = false; $("#record-empty").textContent = words(e); }
}

async function openScreening(id) {
  const entry = await api(`/api/screenings/${id}`);
  showTab("screen");
  fillForm(entry);
  showResult(Object.assign({ id }, entry), false);
  api(`/api/screenings/${id}/site`).then((gj) => { clearDrawing(); showSite(gj); }).catch(() => {});
}

function fillForm(entry) {
  const p = entry.params || {}, project = (entry.result || {}).project || {};
  const set = (id, v) => { $(id).value = v === null || v === undefined ? "" : v; };
  set("#radius", p.radius); set("#width", p.width); set("#buffer", p.buffer ?? 5000);
  set("#project_name", p.project_name || project.name || "");
  set("#builder", p.builder || project.builder || "");
  set("#project_code", p.project_code || project.project_code || "");
  set("#construction_nature", p.construction_nature || project.construction_nature || "");
  set("#national_major", p.national_major || "unknown");
  set("#layer", p.layer || ""); set("#encoding", p.encoding || "");
  const known = [...$("#source_crs").options].some((o) => o.value === (p.source_crs || ""));
  $("#source_crs").value = known ? (p.source_crs || "") : "__other";
  $("#crs-other-box").hidden = known;
  if (!known) set("#crs_other", p.source_crs);
  const industry = (entry.result.verdict || {}).industry;
  state.industry = industry && industry.code ? { code: industry.code, name: industry.name, catalogue_item: industry.catalogue_item } : null;
  $("#industry").value = state.industry ? industryText(state.industry) : (p.industry || "");
  renderIndustryChosen();
  state.siteLabel = entry.file || null;
  $("#site-chosen").textContent = entry.file ? t("chosen") + entry.file : "";
}

/* ---------- admin ---------- */
async function loadAdmin() {
  try {
    const layers = await api("/api/layers");
    $("#layers-out").textContent = `${layers.name}  sha256 ${layers.sha256}\n` +
      Object.entries(layers.layers).map(([k, v]) => `${kindWords(k)}: ${v}`).join("\n");
    const audit = await api("/api/audit?limit=100");
    $("#audit-table tbody").replaceChildren(...audit.audit.map((a) => el("tr", {},
      el("td", {}, localTime(a.at)), el("td", {}, a.user), el("td", {}, a.action), el("td", {}, a.detail), el("td", {}, a.ip))));
  } catch (e) { $("#admin-out").textContent = words(e); }
}

async function adminImport(event, path) {
  event.preventDefault();
  const fd = new FormData(event.target);
  fd.append("csrf_token", state.csrf);
  const url = path === "layers" ? `/api/layers/${fd.get("kind")}` : "/api/rules";
  fd.delete("kind");
  $("#admin-out").textContent = t("busy");
  try {
    const out = await api(url, { method: "POST", body: fd });
    $("#admin-out").textContent = out.lines.join("\n");
  } catch (e) { $("#admin-out").textContent = words(e); }
  loadAdmin();
}

/* ---------- the industry type-ahead: the catalogue's items with their numbers ---------- */
function industryText(i) { return `${i.code} ${i.name}`; }

function renderIndustryChosen() {
  const p = $("#industry-chosen");
  const typed = $("#industry").value.trim();
  if (state.industry && typed === industryText(state.industry)) {
    const i = state.industry;
    p.textContent = t("industry_chosen") + (i.catalogue_item ? fill(t("catalogue_item"), { n: i.catalogue_item }) + " " : "") + industryText(i);
  } else p.textContent = typed ? t("industry_free") : "";
}

let industryTimer = null, industryItems = [], industryActive = -1;
function industryInput() {
  clearTimeout(industryTimer);
  renderIndustryChosen();
  industryTimer = setTimeout(async () => {
    const q = $("#industry").value.trim();
    if (!q || (state.industry && q === industryText(state.industry))) { closeIndustry(); return; }
    try {
      const out = await api("/api/industries?limit=12&q=" + encodeURIComponent(q));
      if (document.activeElement !== $("#industry")) { closeIndustry(); return; }  // the field was left meanwhile
      industryItems = out.industries;
      industryActive = -1;
      renderIndustryList();
    } catch (e) { closeIndustry(); }
  }, 150);
}

function renderIndustryList() {
  const list = $("#industry-list");
  if (!industryItems.length) {
    list.replaceChildren(el("li", { class: "none", role: "option" }, t("industry_none")));
  } else {
    list.replaceChildren(...industryItems.map((i, k) => el("li", {
      role: "option", id: "industry-opt-" + k, "aria-selected": k === industryActive ? "true" : "false", "data-code": i.code,
      onmousedown: (e) => { e.preventDefault(); pickIndustry(i); },
    }, i.catalogue_item ? el("span", { class: "num" }, fill(t("catalogue_item"), { n: i.catalogue_item })) : null,
       `${i.code} ${i.name}`)));
  }
  list.hidden = false;
  $("#industry").setAttribute("aria-expanded", "true");
  if (industryActive >= 0) $("#industry").setAttribute("aria-activedescendant", "industry-opt-" + industryActive);
}

function closeIndustry() {
  $("#industry-list").hidden = true;
  $("#industry").setAttribute("aria-expanded", "false");
  $("#industry").removeAttribute("aria-activedescendant");
}

function pickIndustry(i) {
  state.industry = i;
  $("#industry").value = industryText(i);
  closeIndustry();
  renderIndustryChosen();
}

function industryKey(e) {
  const open = !$("#industry-list").hidden && industryItems.length;
  if (e.key === "ArrowDown" && open) { e.preventDefault(); industryActive = (industryActive + 1) % industryItems.length; renderIndustryList(); }
  else if (e.key === "ArrowUp" && open) { e.preventDefault(); industryActive = (industryActive + industryItems.length - 1) % industryItems.length; renderIndustryList(); }
  else if (e.key === "Enter" && open && industryActive >= 0) { e.preventDefault(); pickIndustry(industryItems[industryActive]); }
  else if (e.key === "Escape") closeIndustry();
}

/* ---------- wiring ---------- */
function wire() {
  $("#lang").addEventListener("click", () => {
    state.lang = lang() === "zh" ? "en" : "zh";
    localStorage.setItem("gisplan.lang", state.lang);
    applyLang();
  });
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", logout);
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("#file").addEventListener("change", (e) => { const f = e.target.files[0]; if (f) { clearDrawing(); chooseSite(f, f.name); } });
  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    const f = e.dataTransfer.files[0]; if (f) { clearDrawing(); chooseSite(f, f.name); }
  });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("#file").click(); } });
  for (const b of document.querySelectorAll("[data-draw]")) b.addEventListener("click", () => { showError(null); startDrawing(b.dataset.draw); });
  $("#draw-finish").addEventListener("click", finishDrawing);
  $("#draw-undo").addEventListener("click", undoVertex);
  $("#draw-cancel").addEventListener("click", cancelDrawing);
  document.addEventListener("keydown", drawingKey);
  $("#paste-use").addEventListener("click", () => {
    const text = pastedTable($("#paste").value);
    if (!text) { showError({ key: "paste_empty" }); return; }
    clearDrawing();
    chooseSite(new File(["\ufeff" + text], t("pasted") + ".csv", { type: "text/csv" }), "pasted");
  });
  $("#source_crs").addEventListener("change", () => { $("#crs-other-box").hidden = $("#source_crs").value !== "__other"; });
  $("#read").addEventListener("click", readSite);
  $("#screen").addEventListener("click", screenSite);
  $("#industry").addEventListener("input", industryInput);
  $("#industry").addEventListener("keydown", industryKey);
  $("#industry").addEventListener("blur", () => setTimeout(closeIndustry, 150));
  $("#record-search").addEventListener("submit", loadRecord);
  $("#record-table").addEventListener("click", (e) => { const id = e.target.dataset.open; if (id) openScreening(id).catch(showError); });
  $("#layer-form").addEventListener("submit", (e) => adminImport(e, "layers"));
  $("#rules-form").addEventListener("submit", (e) => adminImport(e, "rules"));
}

async function loadLabels() {
  const response = await fetch("/api/labels");
  if (!response.ok) return;
  const body = await response.json();
  state.labels = body;
  for (const l of Object.keys(T)) {
    for (const [decision, w] of Object.entries((body.decisions || {})[l] || {})) T[l]["d_" + decision] = w;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  wire();
  applyLang();
  loadLabels().then(applyLang).catch(() => {});
  loadSession().catch((e) => showError(e));
});
