// Errors the SDK rejects with: the protocol's codes, plus the client-side ones.
import { ERRORS, type ErrorCode } from '@chorus/protocol/codes';

export type ClientErrorCode = ErrorCode | 'timeout' | 'queue_full' | 'closed' | 'disconnected';

export class ChorusError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ChorusError';
  }
  /** True when the same request may succeed if tried again. */
  get retryable(): boolean {
    if (this.code in ERRORS) return ERRORS[this.code as ErrorCode].retryable;
    return this.code === 'timeout' || this.code === 'disconnected';
  }
}
