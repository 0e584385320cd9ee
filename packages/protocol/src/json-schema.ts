// JSON Schema of both frame unions, for clients written in other languages.
import { z } from 'zod';
import { clientFrame, serverFrame } from './envelope.js';

export const protocolJsonSchema = (): Record<string, unknown> => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'chorus wire protocol v1',
  $defs: {
    ClientFrame: z.toJSONSchema(clientFrame, { unrepresentable: 'any' }),
    ServerFrame: z.toJSONSchema(serverFrame, { unrepresentable: 'any' }),
  },
});
