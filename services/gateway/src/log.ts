// Structured JSON logs; tokens and message bodies are never logged (redaction is a second fence).
import { pino, type Logger } from 'pino';

export const createLogger = (level: string, node: string): Logger =>
  pino({
    level,
    base: { node },
    redact: { paths: ['token', '*.token', 'body', '*.body', 'query', 'authorization'], remove: true },
  });
