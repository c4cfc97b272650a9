/* An offline reference of the HTTP API, drawn from /openapi.json (no CDN). */
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function schemaOf(spec, ref) {
  const name = (ref || "").split("/").pop();
  return (spec.components && spec.components.schemas && spec.components.schemas[name]) || {};
}

function typeOf(p) {
  if (!p) return "";
  if (p.type) return p.type + (p.items && p.items.type ? "[" + p.items.type + "]" : "");
  if (p.anyOf) return p.anyOf.map(typeOf).filter((t) => t && t !== "null").join(" | ");
  return p.format || "";
}

function operation(spec, path, method, op) {
  const rows = (op.parameters || []).map((p) => [p.name, p.in, typeOf(p.schema), p.required ? "required" : ""]);
  const body = op.requestBody && op.requestBody.content;
  if (body) {
    for (const media of Object.values(body)) {
      const schema = media.schema && media.schema.$ref ? schemaOf(spec, media.schema.$ref) : media.schema || {};
      for (const [name, p] of Object.entries(schema.properties || {})) {
        const file = p.format === "binary" || p.contentMediaType === "application/octet-stream";
        rows.push([name, "form", file ? "file" : typeOf(p), (schema.required || []).includes(name) ? "required" : ""]);
      }
    }
  }
  return el("div", { class: "card", style: "margin: 8px 0" },
    el("h3", {}, method.toUpperCase() + " " + path),
    el("p", {}, (op.description || op.summary || "").replace(/``/g, "")),
    rows.length ? el("table", {}, el("tr", {}, ["name", "in", "type", ""].map((h) => el("th", {}, h))),
      rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))) : "");
}

document.addEventListener("DOMContentLoaded", async () => {
  const spec = await (await fetch("/openapi.json")).json();
  const out = document.getElementById("api");
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) out.append(operation(spec, path, method, op));
  }
});
