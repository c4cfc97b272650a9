/* gisplan serve: siting guidance (选址引导): the verdict the chosen industry gets across the store, on the map.
   Needs i18n.js, map.js and app.js (T, MAP, geo, api, el, table, industryValue, showError, busy). */
"use strict";

const GUIDE_WORDS = {
  zh: { guide: "选址引导", guide_hint: "按所填行业显示全域准入判定；点击图斑查看所在单元、涉及区域与判定依据。",
        guide_clear: "清除", guide_need: "请先填写行业，再查看选址引导。", guide_title: "选址引导：{industry}",
        guide_county: "县（市、区）", guide_area: "面积（km²）", guide_total: "合计", guide_unit: "环境管控单元",
        guide_zones: "涉及区域", guide_elements: "要素分区", guide_verdict: "判定", guide_deciding: "判定依据",
        guide_demo: "示例数据（合成），非官方。" },
  en: { guide: "Siting guidance", guide_hint: "The verdict for the industry entered, everywhere in the store; click an area for its unit, zones and deciding rule.",
        guide_clear: "Clear", guide_need: "Enter an industry first to see the siting guidance.", guide_title: "Siting guidance: {industry}",
        guide_county: "County", guide_area: "Area (km²)", guide_total: "Total", guide_unit: "Control unit",
        guide_zones: "Zones", guide_elements: "Element zones", guide_verdict: "Verdict", guide_deciding: "Deciding rule",
        guide_demo: "Synthetic demo data, not official." },
};
for (const l of Object.keys(GUIDE_WORDS)) Object.assign(T[l], GUIDE_WORDS[l]);

const GUIDE = { layer: null, doc: null };

async function showGuide() {
  const industry = industryValue();
  if (!industry) { showError({ key: "guide_need" }); return; }
  showError(null);
  busy(true);
  try {
    const params = new URLSearchParams({ industry });
    const major = $("#national_major").value;
    if (major === "yes" || major === "no") params.set("national_major", major);
    GUIDE.doc = await api("/api/guide?" + params.toString());
    drawGuide();
    renderGuideBox();
  } catch (e) {
    showError(e);
  } finally {
    busy(false);
  }
}

function clearGuide() {
  if (GUIDE.layer && MAP.map) MAP.map.removeLayer(GUIDE.layer);
  GUIDE.layer = null;
  GUIDE.doc = null;
  $("#guide-box").hidden = true;
}

function guideVerdictWords(v) { return t("d_" + v); }

function guidePopup(p) {
  const row = (key, value) => (value ? el("div", {}, el("b", {}, t(key) + colon()), value) : null);
  return el("div", { class: "guide-popup" },
    row("guide_verdict", guideVerdictWords(p.verdict)),
    row("guide_unit", `${p.unit_code} ${p.unit_name}`),
    row("guide_zones", p.zones),
    row("guide_elements", p.element_zones),
    row("guide_deciding", p.deciding),
    row("guide_area", Number(p.area_km2).toFixed(2)));
}

function drawGuide() {
  if (!MAP.map || !GUIDE.doc) return;
  if (GUIDE.layer) MAP.map.removeLayer(GUIDE.layer);
  const colour = Object.fromEntries(GUIDE.doc.legend.map((x) => [x.verdict, x.colour]));
  GUIDE.layer = geo(GUIDE.doc, {
    style: (f) => ({ color: colour[f.properties.verdict] || "#666666", weight: 0.5,
                     fillColor: colour[f.properties.verdict] || "#666666", fillOpacity: 0.55 }),
    onEachFeature: (f, layer) => layer.bindPopup(() => guidePopup(f.properties), { maxWidth: 360 }),
  }).addTo(MAP.map);
  const bounds = GUIDE.layer.getBounds();
  if (bounds.isValid()) MAP.map.fitBounds(bounds, { padding: [10, 10] });
}

function renderGuideBox() {
  const doc = GUIDE.doc;
  const box = $("#guide-box");
  box.replaceChildren();
  const verdicts = doc.legend.map((x) => x.verdict);
  const cell = (entry, v) => `${entry.verdicts[v].area_km2.toFixed(2)}（${(entry.verdicts[v].share * 100).toFixed(1)}%）`;
  const rows = doc.totals.counties.concat([doc.totals.total]).map((c) =>
    [c.county_code && c.county !== c.county_code ? `${c.county}（${c.county_code}）` : (c.county === "合计" ? t("guide_total") : c.county),
     c.area_km2.toFixed(2), ...verdicts.map((v) => cell(c, v))]);
  box.append(
    el("h2", {}, fill(t("guide_title"), { industry: doc.industry })),
    el("p", { class: "meta" }, doc.industry_label),
    el("p", {}, doc.legend.map((x) => el("span", { class: "guide-key" },
      el("span", { class: "swatch", style: `background:${x.colour}` }), guideVerdictWords(x.verdict)))),
    table([t("guide_county"), t("guide_area"), ...verdicts.map(guideVerdictWords)], rows, [1, 2, 3, 4, 5]),
    el("p", { class: "hint" }, t("guide_hint")),
    doc.demo ? el("p", { class: "meta" }, t("guide_demo")) : null);
  box.hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  const button = $("#guide");
  if (button) button.addEventListener("click", showGuide);
  const clear = $("#guide-clear");
  if (clear) clear.addEventListener("click", clearGuide);
  $("#lang").addEventListener("click", () => { if (GUIDE.doc) renderGuideBox(); });
});
