import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { AppEnv } from "../hono-env.ts";

/**
 * A self-contained page (no CDN: self-hosters may run offline) that lists every operation of the
 * OpenAPI document served at /openapi.json.
 */
export const docsPage = new Hono<AppEnv>().get("/docs", (c) =>
  c.html(html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Inkwell API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}
.op{border-top:1px solid #ddd;padding:.6rem 0}.m{font-weight:700;text-transform:uppercase;width:5rem;display:inline-block}
</style>
</head>
<body>
<h1>Inkwell API</h1>
<p>The machine-readable contract is <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI 3.1).</p>
<div id="ops">Loading…</div>
<script>${raw(`
fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  const ops = document.getElementById("ops");
  ops.textContent = "";
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const div = document.createElement("div");
      div.className = "op";
      const m = document.createElement("span"); m.className = "m"; m.textContent = method;
      const p = document.createElement("code"); p.textContent = path;
      const s = document.createElement("div"); s.textContent = op.summary || "";
      div.append(m, p, s);
      ops.append(div);
    }
  }
});
`)}</script>
</body>
</html>`),
);
