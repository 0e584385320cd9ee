// The closed catalogue of error codes (PROTOCOL.md §6): the code union is derived from it.
export const ERRORS = {
  rate_limited: { retryable: true, message: 'rate limit exceeded' },
  bad_json: { retryable: false, message: 'frame is not valid JSON' },
  bad_frame: { retryable: false, message: 'frame has the wrong shape' },
  too_large: { retryable: false, message: 'body exceeds maxBodyBytes' },
  forbidden: { retryable: false, message: 'not allowed for this user' },
  unauthorized: { retryable: false, message: 'the credentials are not valid for this connection' },
  not_member: { retryable: false, message: 'not a member of this room' },
  too_many_rooms: { retryable: false, message: 'joined too many rooms' },
  unavailable: { retryable: true, message: 'the bus did not confirm the operation; retry' },
  internal: { retryable: true, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** A protocol error as a value: what `parse` returns and what handlers throw. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].message,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
