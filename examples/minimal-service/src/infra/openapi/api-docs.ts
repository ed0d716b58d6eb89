import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

// The files of Swagger UI's distribution this page uses, with their media types. Only these
// names are served, so a request can never reach another file.
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};
// The assets change only with the swagger-ui-dist version; browsers may keep them a day.
const ASSET_CACHE_CONTROL = 'public, max-age=86400';

// Relative URLs, so the page works wherever a proxy mounts the service.
const INITIALIZER = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '../openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
  });
});
`;

export interface ApiDocsOptions {
  /** The page title: the API's name. */
  readonly title: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/**
 * Swagger UI at /docs/, reading the OpenAPI document from /openapi.json. The page and its
 * initializer are built here; the stylesheet and the bundle are streamed from the swagger-ui-dist
 * package when a browser asks for them, so start-up pays nothing for the docs. HTML pages get
 * helmet's document headers (a script policy that allows only this origin), not the API's.
 */
export function registerApiDocs(app: FastifyInstance, { title }: ApiDocsOptions): void {
  const distFolder = dirname(
    createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
  );
  const documentHeaders = helmetHeaders();
  const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${escapeHtml(title)}</title>
    <link rel="stylesheet" href="./swagger-ui.css">
    <link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="./favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="./swagger-ui-bundle.js"></script>
    <script src="./swagger-initializer.js"></script>
  </body>
</html>
`;
  const hidden = { schema: { hide: true } } as const;

  // Relative asset URLs resolve against /docs/, not /docs.
  app.get('/docs', hidden, (_request, reply) => reply.redirect('/docs/', 301));
  app.get('/docs/', hidden, (_request, reply) =>
    reply.headers(documentHeaders).type('text/html; charset=utf-8').send(page),
  );
  app.get('/docs/swagger-initializer.js', hidden, (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(INITIALIZER),
  );
  app.get<{ Params: { asset: string } }>('/docs/:asset', hidden, (request, reply) => {
    const { asset } = request.params;
    const type = Object.hasOwn(ASSETS, asset) ? ASSETS[asset] : undefined;
    if (type === undefined) {
      reply.callNotFound();
      return reply;
    }
    return reply
      .type(type)
      .header('cache-control', ASSET_CACHE_CONTROL)
      .send(createReadStream(join(distFolder, asset)));
  });
}

/** Helmet's default headers for HTML documents, computed once. */
function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a header map, keyed by name
      delete headers[name.toLowerCase()];
    },
  };
  // Helmet never reads the request and only sets and removes headers on the response.
  const applyHelmet = helmet() as (
    request: unknown,
    response: typeof recorder,
    next: () => void,
  ) => void;
  applyHelmet(undefined, recorder, () => undefined);
  return headers;
}
