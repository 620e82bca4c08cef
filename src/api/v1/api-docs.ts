// GET /api/docs: a self-contained page listing the tooling API's routes, rendered from /api/v1/openapi.json.
import { Hono } from "hono";

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Terragate tooling API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  code, pre { font: 13px ui-monospace, monospace; }
  .route { border: 1px solid #ddd; border-radius: 6px; margin: .6rem 0; padding: .4rem .8rem; }
  .method { display: inline-block; width: 4.5rem; font-weight: 600; text-transform: uppercase; }
  .get { color: #1a7f37; } .post { color: #0969da; } .put { color: #9a6700; } .delete { color: #cf222e; }
  .params { color: #555; font-size: 13px; }
  details pre { background: #f6f8fa; padding: .6rem; overflow: auto; }
</style>
</head>
<body>
<h1>Terragate tooling API</h1>
<p>Machine-readable description: <a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a>.
Get an access token with <code>POST /api/v1/access-token/refresh</code> and <code>Authorization: Bearer tgk_…</code>,
then send <code>Authorization: Bearer &lt;access_token&gt;</code>.</p>
<div id="info"></div>
<div id="routes">Loading…</div>
<script>
(async () => {
  const routes = document.getElementById("routes");
  try {
    const doc = await (await fetch("/api/v1/openapi.json")).json();
    const base = (doc.servers && doc.servers[0] && doc.servers[0].url) || "";
    const info = document.getElementById("info");
    for (const paragraph of (doc.info.description || "").split("\\n\\n")) {
      const p = document.createElement("p");
      p.textContent = paragraph;
      info.appendChild(p);
    }
    routes.textContent = "";
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const box = document.createElement("div");
        box.className = "route";
        const head = document.createElement("div");
        const verb = document.createElement("span");
        verb.className = "method " + method;
        verb.textContent = method;
        const code = document.createElement("code");
        code.textContent = base + path;
        head.append(verb, code, document.createTextNode(" — " + (operation.summary || "")));
        box.appendChild(head);
        const params = (operation.parameters || []).map((p) => p.name + " (" + p.in + ")");
        if (params.length) {
          const line = document.createElement("div");
          line.className = "params";
          line.textContent = "parameters: " + params.join(", ");
          box.appendChild(line);
        }
        const details = document.createElement("details");
        const summary = document.createElement("summary");
        summary.textContent = "request and responses";
        const pre = document.createElement("pre");
        pre.textContent = JSON.stringify({ requestBody: operation.requestBody, responses: operation.responses }, null, 2);
        details.append(summary, pre);
        box.appendChild(details);
        routes.appendChild(box);
      }
    }
  } catch (error) {
    routes.textContent = "Could not load /api/v1/openapi.json: " + error;
  }
})();
</script>
</body>
</html>
`;

export function createApiDocs(): Hono {
  return new Hono().get("/", (c) => c.html(page));
}
