// The HTTP side of a node: health, readiness, stats, metrics, the test page, and the server API (api.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GatewayNode } from '../node.js';
import type { Transport } from '../transport/transport.js';
import { mountApi } from './api.js';
import { openApiDocument } from './openapi.js';

const JSON_TYPE = 'application/json';
const testPage = readFileSync(new URL('../../public/index.html', import.meta.url), 'utf8');
/** The SDK's browser bundle, which the test page imports; absent only when the client was not built. */
const sdkBundle = (() => {
  try {
    return readFileSync(fileURLToPath(import.meta.resolve('@chorus/client/browser')), 'utf8');
  } catch {
    return undefined;
  }
})();

export const mountRoutes = (transport: Transport, node: GatewayNode): void => {
  transport.route('get', '/healthz', (ex) => ex.respond(200, 'ok\n'));
  transport.route('get', '/readyz', (ex) =>
    node.ready ? ex.respond(200, 'ready\n') : ex.respond(503, node.draining ? 'draining\n' : 'bus disconnected\n'),
  );
  transport.route('get', '/stats', (ex) => ex.respond(200, JSON.stringify(node.stats()), JSON_TYPE));
  transport.route('get', '/api/openapi.json', (ex) => ex.respond(200, openApiDocument, JSON_TYPE));
  mountApi(transport, node);
  transport.route('get', '/', (ex) => ex.respond(200, testPage, 'text/html; charset=utf-8'));
  transport.route('get', '/sdk/chorus-client.js', (ex) =>
    sdkBundle
      ? ex.respond(200, sdkBundle, 'text/javascript; charset=utf-8')
      : ex.respond(503, 'the SDK bundle is not built: run pnpm build\n'),
  );
  transport.route('get', '/metrics', async (ex) =>
    ex.respond(200, await node.metrics.registry.metrics(), node.metrics.registry.contentType),
  );
  transport.route('any', '/*', (ex) => ex.respond(404, 'not found\n'));
};
