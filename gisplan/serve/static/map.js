/* gisplan serve: the drawing map (basemap, zoning, site, drawing tools). Needs i18n.js; app.js calls it. */
"use strict";

/* ---------- GCJ-02 (as gisplan/geo/chinacoords.py): a GCJ-02 basemap gets the overlays shifted on screen ---------- */
const GCJ = { a: 6378245.0, ee: 0.00669342162296594323 };

function gcjOutside(lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }

function gcjDelta(lon, lat) {
  if (gcjOutside(lon, lat)) return [0, 0];
  const x = lon - 105.0, y = lat - 35.0, PI = Math.PI;
  let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  dlat += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
  dlat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
  dlat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
  let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  dlon += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
  dlon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
  dlon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
  const radlat = lat / 180.0 * PI;
  const magic = 1.0 - GCJ.ee * Math.sin(radlat) ** 2;
  const sqrtmagic = Math.sqrt(magic);
  dlat = (dlat * 180.0) / ((GCJ.a * (1.0 - GCJ.ee)) / (magic * sqrtmagic) * PI);
  dlon = (dlon * 180.0) / (GCJ.a / sqrtmagic * Math.cos(radlat) * PI);
  return [dlon, dlat];
}

function gcjFromCgcs(lon, lat) { const [dx, dy] = gcjDelta(lon, lat); return [lon + dx, lat + dy]; }

function cgcsFromGcj(lon, lat) {
  let x = lon, y = lat;
  for (let i = 0; i < 30; i++) {
    const [dx, dy] = gcjDelta(x, y);
    const nx = lon - dx, ny = lat - dy;
    const step = Math.max(Math.abs(nx - x), Math.abs(ny - y));
    x = nx; y = ny;
    if (!(step > 1e-9)) break;
  }
  return [x, y];
}

/* data coordinates (CGCS2000 lon/lat) <-> what the map shows (shifted over a GCJ-02 basemap) */
const toDisplay = (lon, lat) => (MAP.shift ? gcjFromCgcs(lon, lat) : [lon, lat]);
const fromDisplay = (latlng) => (MAP.shift ? cgcsFromGcj(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat]);
const displayLatLng = (lon, lat) => { const [x, y] = toDisplay(lon, lat); return L.latLng(y, x); };

const MAP = {
  map: null, shift: false, basemap: null, colours: null, layers: {}, data: { backdrop: null, offline: null, site: null },
  draw: null, drawn: null, onUnit: null, onSite: null, onMessage: null,
};

function colour(kind, key) {
  const c = MAP.colours || {};
  const fallback = { category: { priority: "#4daf4a", key: "#e8543a", general: "#f2d14b" }, redline: "#a50026",
                     site: "#000000", protected: {}, water: {} };
  const table = c[kind] || fallback[kind];
  return key === undefined ? table : (table && table[key]) || "#777777";
}

function textNode(text) { const span = document.createElement("span"); span.textContent = text; return span; }

/* ---------- the map ---------- */
function initMap(onUnit, onSite, onMessage) {
  if (MAP.map || !window.L) return;
  MAP.onUnit = onUnit; MAP.onSite = onSite; MAP.onMessage = onMessage;
  const map = L.map("map", { doubleClickZoom: false, zoomSnap: 0.25, keyboard: true, attributionControl: true })
    .setView([43.0, 129.0], 7);
  map.attributionControl.setPrefix(false);
  L.control.scale({ imperial: false, position: "bottomleft", maxWidth: 120 }).addTo(map);
  MAP.map = map;
  MAP.groups = {
    offline: L.layerGroup(), none: L.layerGroup(), units: L.featureGroup(), redline: L.featureGroup(),
    protected: L.featureGroup(), water: L.featureGroup(), site: L.featureGroup(), sketch: L.featureGroup(),
  };
  for (const g of ["units", "protected", "water", "redline", "site", "sketch"]) MAP.groups[g].addTo(map);
  map.on("click", (e) => { if (MAP.draw) addVertex(e.latlng); });
  map.on("dblclick", () => { if (MAP.draw) finishDrawing(); });
  map.on("mousemove", (e) => readout(e.latlng));
  map.on("baselayerchange", (e) => {
    MAP.shift = e.layer === MAP.tiles && MAP.basemap && MAP.basemap.crs === "gcj02";
    renderAll();
  });
  map.getContainer().addEventListener("keydown", mapKey);
  Promise.all([api("/api/basemap").catch(() => ({ kind: "offline" })), api("/api/backdrop").catch(() => null)])
    .then(([basemap, backdrop]) => {
      MAP.basemap = basemap;
      MAP.data.backdrop = backdrop;
      setupBasemap(basemap);
      renderAll();
      const b = MAP.groups.units.getBounds();
      if (b.isValid() && !MAP.data.site) map.fitBounds(b, { animate: false });
      MAP.ready = true;
    });
}

function setupBasemap(basemap) {
  const bases = {};
  if (basemap.kind === "url" || basemap.kind === "file") {
    const options = { subdomains: basemap.subdomains || "abc", maxZoom: 19, maxNativeZoom: basemap.maxzoom || 18,
                      minNativeZoom: basemap.minzoom || 0, attribution: "" };
    if (basemap.bounds) {  // no requests where the file has no tiles (its bounds, in the tiles' own frame)
      const [x0, y0, x1, y1] = basemap.bounds;
      options.bounds = L.latLngBounds([y0, x0], [y1, x1]);
    }
    MAP.tiles = L.tileLayer(basemap.url, options);
    if (basemap.attribution) MAP.map.attributionControl.addAttribution(basemap.attribution);
    bases.tiles = MAP.tiles;
  }
  if (basemap.kind !== "none") {
    bases.offline = MAP.groups.offline;
    api("/api/basemap/offline").then((gj) => { MAP.data.offline = gj; renderOffline(); }).catch(() => {});
  }
  bases.none = MAP.groups.none;
  const first = bases.tiles || bases.offline || bases.none;
  first.addTo(MAP.map);
  MAP.shift = first === MAP.tiles && basemap.crs === "gcj02";
  MAP.bases = bases;
  buildLayerControl();
}

function buildLayerControl() {
  if (MAP.control) MAP.control.remove();
  const b = MAP.bases || {};
  const bases = {};
  if (b.tiles) bases[t("base_tiles")] = b.tiles;
  if (b.offline) bases[t("base_offline")] = b.offline;
  if (b.none) bases[t("base_none")] = b.none;
  const overlays = {};
  overlays[t("layer_units")] = MAP.groups.units;
  overlays[t("layer_redline")] = MAP.groups.redline;
  overlays[t("layer_protected")] = MAP.groups.protected;
  overlays[t("layer_water")] = MAP.groups.water;
  MAP.control = L.control.layers(bases, overlays, { collapsed: true, position: "topright" }).addTo(MAP.map);
}

function geo(data, options) {
  return L.geoJSON(data, Object.assign({ coordsToLatLng: (c) => displayLatLng(c[0], c[1]) }, options));
}

function renderAll() {
  if (!MAP.map) return;
  renderOffline();
  renderBackdrop();
  renderSite();
  renderSketch();
}

function renderOffline() {
  const g = MAP.groups.offline;
  g.clearLayers();
  if (!MAP.data.offline) return;
  geo(MAP.data.offline, {
    filter: (f) => f.properties.role === "county",
    style: { color: "#555555", weight: 1.5, dashArray: "8 3 2 3", fill: false, interactive: false },
  }).addTo(g);
  for (const f of MAP.data.offline.features.filter((x) => x.properties.role === "seat")) {
    const [lon, lat] = f.geometry.coordinates;
    L.circleMarker(displayLatLng(lon, lat), { radius: 3, color: "#222222", weight: 1, fillOpacity: 1, interactive: false })
      .bindTooltip(textNode(f.properties.name), { permanent: true, direction: "right", className: "seat-label" })
      .addTo(g);
  }
}

function renderBackdrop() {
  for (const g of ["units", "redline", "protected", "water"]) MAP.groups[g].clearLayers();
  const gj = MAP.data.backdrop;
  if (!gj) return;
  const only = (layer) => (f) => f.properties.layer === layer;
  geo(gj, {
    filter: only("control_units"),
    style: (f) => ({ color: "#666666", weight: 1, fillColor: colour("category", f.properties.category), fillOpacity: 0.3 }),
    onEachFeature: (f, l) => {
      l.bindTooltip(textNode(`${f.properties.name} ${f.properties.code}`), { sticky: true });
      l.on("click", () => { if (!MAP.draw && MAP.onUnit) MAP.onUnit(f.properties.code); });
    },
  }).addTo(MAP.groups.units);
  geo(gj, {
    filter: only("eco_redline"),  // dark crimson, dashed, barely filled: never read as a green priority unit
    style: { color: colour("redline"), weight: 3, dashArray: "8 4", fillColor: colour("redline"), fillOpacity: 0.1,
             interactive: false },
  }).addTo(MAP.groups.redline);
  geo(gj, {
    filter: only("protected_areas"),
    style: (f) => ({ color: colour("protected", f.properties.zone) || "#8e44ad", weight: 2, fill: false,
                     interactive: false }),
  }).addTo(MAP.groups.protected);
  geo(gj, {
    filter: only("water_sources"),
    style: (f) => ({ color: colour("water", f.properties.level) || "#3182bd", weight: 2, dashArray: "4 3",
                     fillOpacity: 0.1, interactive: false }),
  }).addTo(MAP.groups.water);
}

/* the site: black on a white casing, above the zoning (never green or red like it) */
function renderSite() {
  const g = MAP.groups.site;
  g.clearLayers();
  if (!MAP.data.site) return;
  const point = (f, ll) => L.circleMarker(ll, { radius: 6, color: "#000000", weight: 3, fillColor: "#ffffff", fillOpacity: 1 });
  geo(MAP.data.site, { style: { color: "#ffffff", weight: 7, opacity: 0.9, fill: false, interactive: false },
                       pointToLayer: point, filter: (f) => f.properties.role !== "footprint" }).addTo(g);
  geo(MAP.data.site, { style: (f) => (f.properties.role === "footprint"
                         ? { color: "#000000", weight: 1.5, dashArray: "4 4", fillOpacity: 0.05, interactive: false,
                             className: "site-footprint" }
                         : { color: "#000000", weight: 3, fillColor: "#000000", fillOpacity: 0.08, interactive: false,
                             className: "site-line" }),
                       pointToLayer: point }).addTo(g);
}

function showSite(geojson, fit = true) {
  MAP.data.site = geojson;
  renderSite();
  const b = MAP.groups.site.getBounds();
  MAP.map.invalidateSize();  // the map may just have been shown (its size was 0 while hidden)
  if (fit && b.isValid()) MAP.map.fitBounds(b.pad(0.5), { maxZoom: 15 });
}

function readout(latlng) {
  const el = document.getElementById("readout");
  if (!el || !latlng) return;
  const [lon, lat] = fromDisplay(latlng);
  let text = fill(t("readout"), { lon: lon.toFixed(6), lat: lat.toFixed(6) });
  if (MAP.shift) text += t("readout_shift");
  if (MAP.draw) text += " · " + fill(t("vertices"), { n: MAP.draw.points.length });
  el.textContent = text;
}

/* ---------- drawing: click to add, double-click/Enter to finish, Esc to cancel, Backspace to undo, drag to edit ---------- */
const NEED = { point: 1, line: 2, polygon: 3 };

function startDrawing(kind) {
  MAP.draw = { kind, points: [] };
  MAP.drawn = null;
  MAP.map.getContainer().classList.add("drawing");
  MAP.map.getContainer().focus({ preventScroll: true });
  renderSketch();
  drawingChanged();
}

function addVertex(latlng) {
  if (!MAP.draw) return;
  MAP.draw.points.push(fromDisplay(latlng));
  if (MAP.draw.kind === "point") { finishDrawing(); return; }
  renderSketch();
  drawingChanged();
}

function undoVertex() {
  const s = MAP.draw || MAP.drawn;
  if (!s || !s.points.length) return;
  s.points.pop();
  if (MAP.drawn) { MAP.draw = MAP.drawn; MAP.drawn = null; MAP.map.getContainer().classList.add("drawing"); }
  renderSketch();
  drawingChanged();
}

function cancelDrawing() {
  MAP.draw = null;
  MAP.map.getContainer().classList.remove("drawing");
  renderSketch();
  drawingChanged();
}

/* the clicks of a double-click add the same point twice: drop vertices within 4 screen pixels of the one before */
function dedupe(points) {
  const out = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last) {
      const a = MAP.map.latLngToContainerPoint(displayLatLng(last[0], last[1]));
      const b = MAP.map.latLngToContainerPoint(displayLatLng(p[0], p[1]));
      if (a.distanceTo(b) < 4) continue;
    }
    out.push(p);
  }
  return out;
}

function finishDrawing() {
  const s = MAP.draw;
  if (!s) return;
  s.points = dedupe(s.points);
  if (s.points.length < NEED[s.kind]) {
    renderSketch();
    MAP.onMessage && MAP.onMessage({ key: "too_few", values: { shape: "shape_" + s.kind, need: NEED[s.kind],
                                                                  have: s.points.length } });
    return;
  }
  MAP.drawn = s;
  MAP.draw = null;
  MAP.map.getContainer().classList.remove("drawing");
  renderSketch();
  drawingChanged();
  emitDrawn();
}

function emitDrawn() {
  const s = MAP.drawn;
  if (!s || !MAP.onSite) return;
  const pts = s.points;
  let geometry;
  if (s.kind === "point") geometry = { type: "Point", coordinates: pts[0] };
  else if (s.kind === "line") geometry = { type: "LineString", coordinates: pts };
  else geometry = { type: "Polygon", coordinates: [pts.concat([pts[0]])] };
  MAP.onSite({ type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry }] }, s.kind);
}

function renderSketch() {
  const g = MAP.groups.sketch;
  if (!g) return;
  g.clearLayers();
  const s = MAP.draw || MAP.drawn;
  if (!s || !s.points.length) return;
  const ll = s.points.map(([x, y]) => displayLatLng(x, y));
  if (s.kind === "polygon" && ll.length >= 2) L.polygon(ll, { color: "#000000", weight: 2, dashArray: MAP.draw ? "5 4" : null, fillOpacity: 0.08, interactive: false }).addTo(g);
  if (s.kind === "line" && ll.length >= 2) L.polyline(ll, { color: "#000000", weight: 3, dashArray: MAP.draw ? "5 4" : null, interactive: false }).addTo(g);
  ll.forEach((p, i) => {
    const icon = L.divIcon({ className: "vertex", iconSize: [12, 12] });
    const m = L.marker(p, { icon, draggable: true, keyboard: false, title: String(i + 1) }).addTo(g);
    m.on("dblclick", () => { if (MAP.draw) finishDrawing(); });
    m.on("click", () => {  // back on the first vertex of a polygon: closed, so finished
      if (MAP.draw && i === 0 && s.kind === "polygon" && s.points.length >= NEED.polygon) finishDrawing();
    });
    m.on("drag", (e) => { s.points[i] = fromDisplay(e.target.getLatLng()); redrawShapeOnly(); });
    m.on("dragend", () => { renderSketch(); if (MAP.drawn === s) emitDrawn(); });
  });
}

function redrawShapeOnly() {
  const g = MAP.groups.sketch;
  const s = MAP.draw || MAP.drawn;
  g.eachLayer((l) => { if (l instanceof L.Polyline) l.setLatLngs(s.points.map(([x, y]) => displayLatLng(x, y))); });
}

function drawingChanged() {
  for (const b of document.querySelectorAll("[data-draw]")) b.classList.toggle("active", !!MAP.draw && b.dataset.draw === MAP.draw.kind);
  const s = MAP.draw;
  document.getElementById("draw-finish").disabled = !s || s.kind === "point";
  document.getElementById("draw-undo").disabled = !((MAP.draw || MAP.drawn) && (MAP.draw || MAP.drawn).points.length);
  document.getElementById("draw-cancel").disabled = !s;
  const hint = document.getElementById("draw-hint");
  if (s && s.kind === "point") hint.textContent = t("draw_keys_point");
  else if (s) hint.textContent = `${t("draw_keys")} ${t("draw_keyboard")} ${fill(t("vertices"), { n: s.points.length })}`;
  else hint.textContent = MAP.drawn ? t("edit_hint") : "";
}

function mapKey(e) {
  if (!MAP.draw) return;
  if (e.key === " " || e.key === "Spacebar") { e.preventDefault(); addVertex(MAP.map.getCenter()); }
}

function drawingKey(e) {
  const tag = (e.target && e.target.tagName) || "";
  if (/INPUT|TEXTAREA|SELECT/.test(tag)) return;
  if (!MAP.draw && !(MAP.drawn && (e.key === "Backspace" || (e.key === "z" && (e.ctrlKey || e.metaKey))))) return;
  if (e.key === "Escape") { e.preventDefault(); cancelDrawing(); }
  else if (e.key === "Enter") { e.preventDefault(); finishDrawing(); }
  else if (e.key === "Backspace" || (e.key === "z" && (e.ctrlKey || e.metaKey))) { e.preventDefault(); undoVertex(); }
}

function clearDrawing() { MAP.draw = null; MAP.drawn = null; if (MAP.map) { MAP.map.getContainer().classList.remove("drawing"); renderSketch(); drawingChanged(); } }
