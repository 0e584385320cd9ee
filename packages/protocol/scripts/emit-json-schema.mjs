// Writes dist/chorus.v1.schema.json from the compiled schemas (run after tsc).
import { writeFileSync } from 'node:fs';
import { protocolJsonSchema } from '../dist/index.js';

writeFileSync(new URL('../dist/chorus.v1.schema.json', import.meta.url), JSON.stringify(protocolJsonSchema(), null, 2));
