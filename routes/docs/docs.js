// The API reference page: renders /api/openapi.json with plain DOM calls. Everything comes from
// the box itself (an edge box is often offline); text is set with textContent, never as HTML.

const METHODS = ["get", "post", "put", "patch", "delete"];
const documentUrl = new URL("../openapi.json", import.meta.url);

/** Creates an element with attributes and children (strings become text nodes). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** Text with `code` spans, as the document's descriptions use them. */
function prose(text, tag = "p") {
  const node = el(tag);
  text.split(/(`[^`]+`)/).forEach((part) => {
    node.append(part.startsWith("`") ? el("code", {}, part.slice(1, -1)) : part);
  });
  return node;
}

function refName(ref) {
  return ref.split("/").pop();
}

function resolve(doc, schema) {
  return schema && schema.$ref ? doc.components.schemas[refName(schema.$ref)] : schema;
}

/** A one-line type: `string (uuid)`, `array of Zone`, `integer 1..500`. */
function typeLabel(doc, schema) {
  if (!schema) return "any";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map((s) => typeLabel(doc, s)).join(" or ");
  const types = [schema.type ?? "any"].flat();
  const base = types.filter((t) => t !== "null").map((type) => {
    if (type === "array" && schema.prefixItems) {
      return `[${schema.prefixItems.map((s) => typeLabel(doc, s)).join(", ")}]`;
    }
    if (type === "array") return `array of ${typeLabel(doc, schema.items)}`;
    return schema.format ? `${type} (${schema.format})` : type;
  }).join(" | ");
  return types.includes("null") ? `${base} or null` : base;
}

/** Bounds and patterns a reader needs to send a valid value. */
function constraints(schema) {
  if (!schema || schema.$ref) return "";
  const out = [];
  if (schema.minimum !== undefined || schema.maximum !== undefined) {
    out.push(`${schema.minimum ?? "…"} to ${schema.maximum ?? "…"}`);
  }
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    out.push(`${schema.minLength ?? 0} to ${schema.maxLength ?? "…"} characters`);
  }
  if (schema.minItems !== undefined || schema.maxItems !== undefined) {
    out.push(`${schema.minItems ?? 0} to ${schema.maxItems ?? "…"} items`);
  }
  if (schema.pattern) out.push(`matches ${schema.pattern}`);
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  return out.join("; ");
}

/** An object's fields as a table; nested objects and references open on demand. */
function schemaView(doc, schema, seen = new Set()) {
  const name = schema?.$ref ? refName(schema.$ref) : undefined;
  const target = resolve(doc, schema);
  if (!target) return el("p", { class: "muted" }, "any JSON");
  const inner = target.type === "array" && target.items ? resolve(doc, target.items) : target;
  const wrapper = el("div");
  if (target.description) wrapper.append(prose(target.description));
  if (!inner?.properties || (name && seen.has(name))) {
    wrapper.append(el("p", {}, el("code", {}, typeLabel(doc, schema))));
    return wrapper;
  }
  const nextSeen = new Set(seen);
  if (name) nextSeen.add(name);
  const required = new Set(inner.required ?? []);
  const rows = Object.entries(inner.properties).map(([field, property]) => {
    const resolved = resolve(doc, property);
    const nested = resolved?.properties ||
      (resolved?.type === "array" && resolve(doc, resolved.items)?.properties);
    const notes = [property.description ?? resolved?.description, constraints(resolved)]
      .filter(Boolean).join(". ");
    return el(
      "tr",
      {},
      el(
        "td",
        {},
        el("code", {}, field),
        required.has(field) ? "" : el("span", { class: "muted" }, " optional"),
      ),
      el("td", {}, el("code", {}, typeLabel(doc, property))),
      el(
        "td",
        {},
        notes ? prose(notes, "span") : "",
        nested
          ? el("details", {}, el("summary", {}, "fields"), schemaView(doc, property, nextSeen))
          : "",
      ),
    );
  });
  const unknown = inner.additionalProperties === false ? "Unknown fields are refused." : "";
  wrapper.append(
    el(
      "p",
      {},
      el("code", {}, typeLabel(doc, schema)),
      " ",
      el("span", { class: "muted" }, unknown),
    ),
    el(
      "table",
      {},
      el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "")),
      rows,
    ),
  );
  return wrapper;
}

function example(media) {
  const value = media?.example ?? media?.schema?.example;
  return value === undefined ? "" : el("pre", {}, JSON.stringify(value, null, 2));
}

function operationView(doc, path, method, operation) {
  const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-");
  const section = el(
    "section",
    { class: "op", id },
    el("h3", {}, el("span", { class: `method ${method}` }, method), path),
    operation.summary ? el("p", {}, el("strong", {}, operation.summary)) : "",
    operation.description ? prose(operation.description) : "",
  );
  const parameters = operation.parameters ?? [];
  if (parameters.length > 0) {
    section.append(
      el("h4", {}, "Parameters"),
      el(
        "table",
        {},
        parameters.map((p) =>
          el(
            "tr",
            {},
            el("td", {}, el("code", {}, p.name), el("span", { class: "muted" }, ` ${p.in}`)),
            el("td", {}, el("code", {}, typeLabel(doc, p.schema)), p.required ? "" : " optional"),
            el(
              "td",
              {},
              prose([p.description, constraints(p.schema)].filter(Boolean).join(". "), "span"),
            ),
          )
        ),
      ),
    );
  }
  const body = operation.requestBody?.content;
  if (body) {
    for (const [type, media] of Object.entries(body)) {
      section.append(
        el("h4", {}, `Body (${type})`),
        schemaView(doc, media.schema),
        example(resolve(doc, media.schema)),
      );
    }
  }
  section.append(el("h4", {}, "Replies"));
  for (const [status, reply] of Object.entries(operation.responses ?? {})) {
    const content = Object.entries(reply.content ?? {});
    const [type, media] = content[0] ?? [];
    const isError = Number(status) >= 400;
    section.append(
      el(
        "details",
        isError ? {} : { open: "" },
        el(
          "summary",
          {},
          el("strong", {}, status),
          " ",
          reply.description ?? "",
          type ? el("span", { class: "muted" }, ` (${type})`) : "",
        ),
        media && !isError ? schemaView(doc, media.schema) : "",
      ),
    );
  }
  return section;
}

async function main() {
  const status = document.getElementById("status");
  let doc;
  try {
    const response = await fetch(documentUrl);
    doc = await response.json();
  } catch (error) {
    status.textContent = `Could not load ${documentUrl.pathname}: ${error}`;
    return;
  }
  const main = document.getElementById("main");
  const nav = document.getElementById("nav");
  status.replaceWith(
    prose(doc.info.description ?? ""),
    el(
      "p",
      {},
      "The machine-readable contract: ",
      el("a", { href: documentUrl.pathname }, documentUrl.pathname),
      ` (OpenAPI ${doc.openapi}).`,
    ),
  );
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, operation });
    }
  }
  // The contract's own routes (this page, the document) last: readers come for the rest.
  const tags = [...byTag.keys()].sort((a, b) => (a === "contract") - (b === "contract"));
  for (const tag of tags) {
    const operations = byTag.get(tag);
    nav.append(el("h2", {}, tag));
    main.append(el("h2", {}, tag));
    for (const { path, method, operation } of operations) {
      const section = operationView(doc, path, method, operation);
      // Protected operations name their roles in the description (see routes/openapi.ts).
      if (!operation["x-roles"]) {
        section.querySelector("h3").after(el("p", { class: "roles" }, "Open: no token needed"));
      }
      main.append(section);
      nav.append(
        el(
          "a",
          { href: `#${section.id}` },
          el("span", { class: `method ${method}` }, method),
          path,
        ),
      );
    }
  }
}

main();
