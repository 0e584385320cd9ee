// Builds the browser bundle (ESM, minified, no Node built-ins) and prints its gzipped size.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const outfile = new URL('../dist/browser/chorus-client.min.js', import.meta.url).pathname;
await build({
  entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  minify: true,
  platform: 'browser',
  target: 'es2022',
  outfile,
  logLevel: 'warning',
});
const bytes = readFileSync(outfile);
console.log(
  `@chorus/client browser bundle: ${bytes.length} B minified, ${gzipSync(bytes, { level: 9 }).length} B gzipped`,
);
