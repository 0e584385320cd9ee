// The zero-dependency slice of the protocol (error catalogue, close codes, subprotocol) for browser bundles.
export * from './errors.js';
export * from './close-codes.js';

/** The subprotocol the server selects when the client offers it. */
export const SUBPROTOCOL = 'chorus.v1';
export * from './compact.js';
