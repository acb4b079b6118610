import type { OpenApiDocument } from './openapi.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function pre(value: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;
}

/**
 * A self-contained HTML page (no scripts, no external assets) rendering an OpenAPI document.
 *
 * @example
 * app.get('/docs', async (_, reply) => reply.type('text/html').send(renderDocsPage(doc)));
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const info = doc.info as { title: string; version: string; description?: string };
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods) as [string, Record<string, unknown>][]) {
      const params = (op.parameters as { name: string; in: string; required: boolean; schema: unknown }[] | undefined) ?? [];
      const rows = params.map(
        (p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${pre(p.schema)}</td></tr>`,
      );
      const body = (op.requestBody as { content: Record<string, { schema: unknown }> } | undefined)?.content['application/json']?.schema;
      const responses = Object.entries(op.responses as Record<string, { description: string }>).map(
        ([status, r]) => `<li><b>${escapeHtml(status)}</b> ${escapeHtml(r.description)}</li>`,
      );
      sections.push(
        `<section><h2><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2><p>${escapeHtml(String(op.summary ?? ''))}</p>` +
          (rows.length ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${rows.join('')}</table>` : '') +
          (body ? `<h3>Request body (application/json)</h3>${pre(body)}` : '') +
          `<h3>Responses</h3><ul>${responses.join('')}</ul></section>`,
      );
    }
  }
  const schemas = Object.entries((doc.components as { schemas: Record<string, unknown> }).schemas).map(
    ([name, schema]) => `<section><h2 id="${escapeHtml(name)}">${escapeHtml(name)}</h2>${pre(schema)}</section>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f5f5f5;padding:.5rem;overflow:auto}
.m{background:#234;color:#fff;padding:0 .4rem;border-radius:3px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem;vertical-align:top}</style></head>
<body><h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1><p>${escapeHtml(info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)</p>${sections.join('\n')}<h1>Schemas</h1>${schemas.join('\n')}</body></html>`;
}
