/* gisplan serve: the reviewer's page. No framework, no network beyond this server. */
"use strict";

const T = {
  zh: {
    title: "三线一单选址筛查", tab_screen: "筛查", tab_record: "记录", tab_admin: "管理", logout: "退出登录",
    login_title: "登录", username: "用户名", password: "密码", login: "登录", site: "选址",
    drop_hint: "将选址文件拖到此处，或", choose: "选择文件",
    formats: "GeoJSON、Shapefile（.zip）、GeoPackage、KML/KMZ、拐点坐标表（CSV/XLSX）、DXF",
    draw: "在地图上绘制：", polygon: "面", line: "线", point: "点", finish: "完成",
    paste: "粘贴拐点坐标表", paste_use: "使用此坐标表", options: "参数", radius: "点位半径（米）",
    width: "线路宽度（米）", buffer: "周边搜索距离（米）", source_crs: "坐标系（文件未注明时）",
    industry: "行业（国民经济行业代码或名录类别）", national_major: "国家重大项目", unknown: "不确定", yes: "是", no: "否",
    read: "识别", screen: "筛查", busy: "处理中…", understood: "识别结果", record: "筛查记录",
    search_name: "按项目名称搜索", from: "自", to: "至", search: "搜索", when: "时间（UTC）", user: "用户",
    site_name: "项目", verdict: "结论", store_version: "数据版本", import_layer: "导入图层", import_rules: "导入准入清单",
    clear: "先清空", import: "导入", layers: "图层版本", audit: "审计日志", open: "打开",
    chosen: "已选：", drawn: "绘制的选址", pasted: "粘贴的坐标表", drawing: "单击地图添加顶点，双击或点“完成”结束",
    overall: "筛查结论", findings: "依据", decision: "判定", rule: "条款", citation: "出处",
    project: "项目", area: "面积", ha: "公顷", by_category: "按管控单元类别", category: "类别",
    units: "涉及的环境管控单元", code: "编码", name: "名称", overlap: "占用面积（公顷）", share: "占项目比例",
    hits: "占用的生态保护红线、自然保护地、水源保护区", kind: "类型", zone: "分区",
    nearby: "周边（搜索距离内）", distance: "距离（米）", direction: "方位", warnings: "提示",
    none: "无", downloads: "下载", map: "地图", screened_by: "筛查人", store: "数据", id: "编号",
    priority: "优先保护单元", key: "重点管控单元", general: "一般管控单元", drop_file: "请先选择、绘制或粘贴选址",
    kind_eco_redline: "生态保护红线", kind_protected_areas: "自然保护地", kind_water_sources: "饮用水水源保护区",
    kind_access_list: "准入清单", kind_control_units: "环境管控单元", map_loading: "正在生成地图和报告…",
    // decision words: replaced at start-up by /api/labels (gisplan/labels.py, the one wording of every report)
    d_prohibited: "禁止准入（不相符）", d_restricted: "限制准入（有条件相符）", d_review: "需人工核对", d_allowed: "允许（相符）",
  },
  en: {
    title: "Three-lines-one-list site screening", tab_screen: "Screen", tab_record: "Record", tab_admin: "Admin",
    logout: "Log out", login_title: "Log in", username: "User", password: "Password", login: "Log in", site: "Site",
    drop_hint: "Drop a site file here, or", choose: "Choose file",
    formats: "GeoJSON, shapefile (.zip), GeoPackage, KML/KMZ, corner table (CSV/XLSX), DXF",
    draw: "Draw on the map:", polygon: "Polygon", line: "Line", point: "Point", finish: "Finish",
    paste: "Paste a corner table", paste_use: "Use this table", options: "Options", radius: "Point radius (m)",
    width: "Corridor width (m)", buffer: "Search distance (m)", source_crs: "CRS (when the file has none)",
    industry: "Industry (GB/T 4754 code or EIA category)", national_major: "National major project",
    unknown: "Unknown", yes: "Yes", no: "No", read: "Read", screen: "Screen", busy: "Working…",
    understood: "What was understood", record: "Screening record", search_name: "Search by site name", from: "From",
    to: "to", search: "Search", when: "When (UTC)", user: "User", site_name: "Site", verdict: "Verdict",
    store_version: "Data version", import_layer: "Import a layer", import_rules: "Import an access list",
    clear: "Clear first", import: "Import", layers: "Layer versions", audit: "Audit log", open: "Open",
    chosen: "Chosen: ", drawn: "drawn site", pasted: "pasted corner table",
    drawing: "Click the map to add vertices; double-click or Finish to end",
    overall: "Verdict", findings: "Findings", decision: "Decision", rule: "Rule", citation: "Citation",
    project: "Project", area: "Area", ha: "ha", by_category: "By control-unit category", category: "Category",
    units: "Control units overlapped", code: "Code", name: "Name", overlap: "Overlap (ha)", share: "Share of site",
    hits: "Redline, protected areas and water sources overlapped", kind: "Kind", zone: "Zone",
    nearby: "Nearby (within the search distance)", distance: "Distance (m)", direction: "Direction",
    warnings: "Warnings", none: "none", downloads: "Download", map: "Map", screened_by: "Screened by",
    store: "Data", id: "ID", priority: "priority protection", key: "key control", general: "general control",
    drop_file: "Choose, draw or paste a site first", kind_eco_redline: "ecological redline",
    kind_protected_areas: "protected area", kind_water_sources: "water source", kind_access_list: "access list",
    kind_control_units: "control unit", map_loading: "Rendering the map and reports…",
    d_prohibited: "prohibited", d_restricted: "restricted (allowed with conditions)", d_review: "review",
    d_allowed: "allowed",
  },
};

const state = { lang: localStorage.getItem("gisplan.lang") || "zh", csrf: null, user: null, role: null,
                site: null, draw: null, points: [], current: null };
const $ = (sel) => document.querySelector(sel);
const t = (key) => (T[state.lang] && T[state.lang][key]) || T.zh[key] || key;

/* Text from layers and uploads is never markup: Leaflet inserts a string tooltip as HTML, so escape it. */
function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function applyLang() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = "gisplan · " + t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  $("#lang").textContent = state.lang === "zh" ? "English" : "中文";
  if (state.current) showResult(state.current);
}

async function api(path, options = {}) {
  const opts = Object.assign({ credentials: "same-origin", headers: {} }, options);
  if (opts.method && opts.method !== "GET" && state.csrf) opts.headers["X-CSRF-Token"] = state.csrf;
  const response = await fetch(path, opts);
  const type = response.headers.get("content-type") || "";
  const data = type.includes("application/json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error((data && data.error) || ("HTTP " + response.status));
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

function showError(message) { $("#error").textContent = message || ""; }

/* ---------- session ---------- */
async function loadSession() {
  const s = await api("/api/session");
  state.csrf = s.csrf; state.user = s.user; state.role = s.role;
  const logged = !!s.user;
  $("#login").hidden = logged;
  $("#tabs").hidden = !logged;
  $("#logout").hidden = !logged || s.mode === "local";
  $("#tab-admin").hidden = s.role !== "admin";
  $("#who").textContent = logged ? `${s.user} (${s.role})` : "";
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
  } catch (e) { $("#login-error").textContent = e.message; }
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
  if (name === "screen") { initMap(); setTimeout(() => state.map && state.map.invalidateSize(), 50); }
  if (name === "record") loadRecord();
  if (name === "admin") loadAdmin();
}

/* ---------- the map: backdrop, drawing, preview ---------- */
function initMap() {
  if (state.map || !window.L) return;
  const map = L.map("map", { doubleClickZoom: false, attributionControl: false, zoomSnap: 0.25 }).setView([43.0, 129.0], 7);
  L.control.scale({ imperial: false }).addTo(map);
  state.map = map;
  state.preview = L.featureGroup().addTo(map);
  state.sketch = L.featureGroup().addTo(map);
  api("/api/backdrop").then((gj) => {
    const colors = { priority: "#2e7d32", key: "#c62828", general: "#f9a825" };
    const layer = L.geoJSON(gj, { style: (f) => ({ color: colors[f.properties.category] || "#777", weight: 1,
                                                   fillOpacity: 0.15 }),
                                  onEachFeature: (f, l) => l.bindTooltip(escapeHtml(`${f.properties.name} ${f.properties.code}`), { sticky: true }) });
    layer.addTo(map);
    layer.bringToBack();
    if (layer.getBounds().isValid() && !state.preview.getLayers().length) map.fitBounds(layer.getBounds());
  }).catch(() => {});
  map.on("click", (e) => addVertex(e.latlng));
  map.on("dblclick", () => finishDrawing());
}

function startDrawing(kind) {
  state.draw = kind; state.points = [];
  state.sketch.clearLayers();
  for (const b of document.querySelectorAll("[data-draw]")) b.classList.toggle("active", b.dataset.draw === kind);
  $("#draw-finish").disabled = kind === "point";
  $("#site-chosen").textContent = t("drawing");
}

function addVertex(latlng) {
  if (!state.draw) return;
  state.points.push([latlng.lng, latlng.lat]);
  state.sketch.clearLayers();
  const ll = state.points.map(([x, y]) => [y, x]);
  if (state.draw === "point") { finishDrawing(); return; }
  for (const p of ll) L.circleMarker(p, { radius: 3, color: "#c0392b" }).addTo(state.sketch);
  (state.draw === "polygon" ? L.polygon(ll, { color: "#c0392b" }) : L.polyline(ll, { color: "#c0392b" })).addTo(state.sketch);
}

function finishDrawing() {
  const kind = state.draw;
  if (!kind) return;
  const pts = state.points;
  const need = { point: 1, line: 2, polygon: 3 }[kind];
  if (pts.length < need) return;
  let geometry;
  if (kind === "point") geometry = { type: "Point", coordinates: pts[0] };
  else if (kind === "line") geometry = { type: "LineString", coordinates: pts };
  else geometry = { type: "Polygon", coordinates: [pts.concat([pts[0]])] };
  const gj = { type: "FeatureCollection", features: [{ type: "Feature", properties: { name: t("drawn") }, geometry }] };
  const blob = new Blob([JSON.stringify(gj)], { type: "application/geo+json" });
  blob.name = "drawn.geojson";
  state.draw = null;
  for (const b of document.querySelectorAll("[data-draw]")) b.classList.remove("active");
  $("#draw-finish").disabled = true;
  chooseSite(blob, t("drawn"));
  if (kind === "point" && !$("#radius").value) $("#radius").value = 500;
  if (kind === "line" && !$("#width").value) $("#width").value = 50;
}

function chooseSite(blob, label) {
  state.site = blob;
  $("#site-chosen").textContent = t("chosen") + label;
  $("#understood").hidden = true;
  showError("");
  busy(false);
}

/* ---------- read and screen ---------- */
function readOptions() {
  return { source_crs: $("#source_crs").value.trim() };
}

function screenOptions() {
  return Object.assign(readOptions(), {
    radius: $("#radius").value, width: $("#width").value, buffer: $("#buffer").value,
    industry: $("#industry").value.trim(), national_major: $("#national_major").value,
  });
}

async function readSite() {
  if (!state.site) { showError(t("drop_file")); return null; }
  showError(""); busy(true);
  try {
    const out = await api("/api/read", { method: "POST", body: form(Object.assign({ file: state.site }, readOptions())) });
    $("#understood").hidden = false;
    $("#understood-lines").replaceChildren(...out.lines.map((l) => el("li", {}, l)));
    $("#understood-warnings").replaceChildren(...out.warnings.map((w) => el("li", {}, w)));
    drawPreview(out.geojson);
    return out;
  } catch (e) { showError(e.message); return null; } finally { busy(false); }
}

function drawPreview(geojson) {
  if (!state.map) return;
  state.preview.clearLayers();
  state.sketch.clearLayers();
  const layer = L.geoJSON(geojson, { style: { color: "#c0392b", weight: 3, fillOpacity: 0.2 },
                                      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: "#c0392b" }) });
  layer.addTo(state.preview);
  const b = layer.getBounds();
  if (b.isValid()) state.map.fitBounds(b.pad(0.5), { maxZoom: 14 });
}

async function screenSite() {
  if (!state.site) { showError(t("drop_file")); return; }
  const understood = await readSite();
  if (!understood) return;
  busy(true);
  try {
    const result = await api("/api/screen", { method: "POST", body: form(Object.assign({ file: state.site }, screenOptions())) });
    showResult({ id: result.id, result, user: state.user });
  } catch (e) { showError(e.message); } finally { busy(false); }
}

/* ---------- the result ---------- */
const ha = (m2) => (m2 / 1e4).toFixed(4);
const pct = (x) => (100 * x).toFixed(1) + "%";

function table(head, rows, numeric = []) {
  if (!rows.length) return el("p", { class: "meta" }, t("none"));
  return el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => el("td", numeric.includes(i) ? { class: "num" } : {}, c ?? ""))))));
}

function showResult(entry) {
  state.current = entry;
  const r = entry.result;
  const v = r.verdict || {};
  const box = $("#result");
  const lang = state.lang;
  const link = (name, label) => el("a", { href: `/api/screenings/${entry.id}/${name}?lang=${lang}`, download: "",
                                           "data-download": name }, label);
  const findings = (v.findings || []).map((f) => [t("d_" + f.decision), t("kind_" + f.kind) + " · " + (f.name || ""),
                                                 f.rule || "", f.citation || ""]);
  const cats = Object.entries(r.by_category || {}).map(([k, m2]) => [t(k), ha(m2)]);
  const units = (r.control_units || []).map((u) => [u.code, u.name, u.category_label, ha(u.overlap_m2), pct(u.share_of_project)]);
  const hits = (r.hits || []).map((h) => [t("kind_" + h.kind), h.name, h.zone_label, ha(h.overlap_m2), pct(h.share_of_project)]);
  const near = (r.nearby || []).map((n) => [t("kind_" + n.kind), n.name, n.zone_label, Math.round(n.distance_m), n.direction]);
  const p = r.project || {};
  const iframe = el("iframe", { class: "resultmap", title: t("map"), src: `/api/screenings/${entry.id}/map.html?lang=${lang}` });
  box.replaceChildren(
    el("div", { class: "verdict " + (v.overall || "review"), id: "verdict", "data-verdict": v.overall || "" },
       `${t("overall")}: ${t("d_" + (v.overall || "review"))}`),
    el("p", { class: "meta" }, `${t("project")}：${p.name || ""} · ${p.format || ""} · ${p.source_crs || ""} · ${t("area")} ${ha(p.area_m2 || 0)} ${t("ha")}`
       + ` · ${t("id")} ${entry.id}` + (entry.user ? ` · ${t("screened_by")} ${entry.user}` : "")
       + (r.store ? ` · ${t("store")} ${(r.store.path || "")} ${(r.store.sha256 || "").slice(0, 12)}` : "")),
    el("div", { class: "downloads" }, t("downloads") + "：", link("report.docx", "DOCX"), link("report.xlsx", "XLSX"),
       link("report.png", "PNG"), link("report.pdf", "PDF"), link("report.json", "JSON")),
    el("p", { class: "meta", id: "map-loading" }, t("map_loading")),
    iframe,
    el("h3", {}, t("findings")), table([t("decision"), t("kind"), t("rule"), t("citation")], findings),
    el("h3", {}, t("by_category")), table([t("category"), t("overlap")], cats, [1]),
    el("h3", {}, t("units")), table([t("code"), t("name"), t("category"), t("overlap"), t("share")], units, [3, 4]),
    el("h3", {}, t("hits")), table([t("kind"), t("name"), t("zone"), t("overlap"), t("share")], hits, [3, 4]),
    el("h3", {}, t("nearby")), table([t("kind"), t("name"), t("zone"), t("distance"), t("direction")], near, [3]),
    el("h3", {}, t("warnings")), (r.warnings || []).length
      ? el("ul", { class: "warnings" }, r.warnings.map((w) => el("li", {}, w))) : el("p", { class: "meta" }, t("none")),
  );
  iframe.addEventListener("load", () => { const m = $("#map-loading"); if (m) m.remove(); });
  box.hidden = false;
  if (state.map && r.project && r.project.bounds) {
    const [x0, y0, x1, y1] = r.project.bounds;
    state.map.fitBounds([[y0, x0], [y1, x1]], { maxZoom: 14, padding: [40, 40] });
  }
}

/* ---------- the record ---------- */
async function loadRecord(event) {
  if (event) event.preventDefault();
  const q = new URLSearchParams();
  if ($("#record-q").value.trim()) q.set("q", $("#record-q").value.trim());
  if ($("#record-from").value) q.set("from", $("#record-from").value);
  if ($("#record-to").value) q.set("to", $("#record-to").value);
  const out = await api("/api/screenings?" + q.toString());
  const rows = out.screenings.map((s) => el("tr", { "data-id": s.id },
    el("td", {}, s.created_at.replace("T", " ").replace("+00:00", "")), el("td", {}, s.user), el("td", {}, s.site_name),
    el("td", {}, s.verdict), el("td", { title: JSON.stringify(s.store.layers) }, `${s.store.name} ${s.store.sha256.slice(0, 12)}`),
    el("td", {}, el("button", { type: "button", "data-open": s.id }, t("open")))));
  $("#record-table tbody").replaceChildren(...rows);
}

async function openScreening(id) {
  const out = await api(`/api/screenings/${id}`);
  showTab("screen");
  showResult({ id, result: out.result, user: out.user });
}

/* ---------- admin ---------- */
async function loadAdmin() {
  try {
    const layers = await api("/api/layers");
    $("#layers-out").textContent = `${layers.name}  sha256 ${layers.sha256}\n` +
      Object.entries(layers.layers).map(([k, v]) => `${k}: ${v}`).join("\n");
    const audit = await api("/api/audit?limit=100");
    $("#audit-table tbody").replaceChildren(...audit.audit.map((a) => el("tr", {},
      el("td", {}, a.at), el("td", {}, a.user), el("td", {}, a.action), el("td", {}, a.detail), el("td", {}, a.ip))));
  } catch (e) { $("#admin-out").textContent = e.message; }
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
  } catch (e) { $("#admin-out").textContent = e.message; }
  loadAdmin();
}

/* ---------- industries type-ahead ---------- */
let industryTimer = null;
function industryTypeahead() {
  clearTimeout(industryTimer);
  industryTimer = setTimeout(async () => {
    const q = $("#industry").value.trim();
    if (!q) return;
    const out = await api("/api/industries?q=" + encodeURIComponent(q));
    $("#industry-list").replaceChildren(...out.industries.map((i) =>
      el("option", { value: i.code }, `${i.code} ${i.name} (${i.scheme}${i.eia_section ? " · 名录 " + i.eia_section : ""})`)));
  }, 200);
}

/* ---------- wiring ---------- */
function wire() {
  $("#lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("gisplan.lang", state.lang);
    applyLang();
  });
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", logout);
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("#file").addEventListener("change", (e) => { const f = e.target.files[0]; if (f) chooseSite(f, f.name); });
  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    const f = e.dataTransfer.files[0]; if (f) chooseSite(f, f.name);
  });
  for (const b of document.querySelectorAll("[data-draw]")) b.addEventListener("click", () => startDrawing(b.dataset.draw));
  $("#draw-finish").addEventListener("click", finishDrawing);
  $("#paste-use").addEventListener("click", () => {
    const text = $("#paste").value.replace(/\t/g, ",");
    if (!text.trim()) return;
    const blob = new Blob(["\ufeff" + text], { type: "text/csv" });
    blob.name = "corners.csv";
    chooseSite(blob, t("pasted"));
  });
  $("#read").addEventListener("click", readSite);
  $("#screen").addEventListener("click", screenSite);
  $("#industry").addEventListener("input", industryTypeahead);
  $("#record-search").addEventListener("submit", loadRecord);
  $("#record-table").addEventListener("click", (e) => { const id = e.target.dataset.open; if (id) openScreening(id); });
  $("#layer-form").addEventListener("submit", (e) => adminImport(e, "layers"));
  $("#rules-form").addEventListener("submit", (e) => adminImport(e, "rules"));
}

async function loadLabels() {
  const response = await fetch("/api/labels");
  if (!response.ok) return;
  const body = await response.json();
  for (const lang of Object.keys(T)) {
    for (const [decision, words] of Object.entries((body.decisions || {})[lang] || {})) T[lang]["d_" + decision] = words;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  wire();
  applyLang();
  loadLabels().then(applyLang).catch(() => {});
  loadSession().catch((e) => showError(e.message));
});
