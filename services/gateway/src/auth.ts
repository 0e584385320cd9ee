// Who is connecting: dev mode (`?user=`) or a verified JWT; and which rooms the identity may use.
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { displayName, isValidId } from '@chorus/protocol';
import type { Config } from './config.js';

export interface Identity {
  user: string;
  name: string;
  /** Undefined: every room. Otherwise the room must match one pattern. */
  rooms: RoomPolicy | undefined;
  /** When the token stops being valid (ms since the epoch). */
  expiresAt: number | undefined;
}

export type AuthResult = { identity: Identity } | { reason: string };
export type Authenticator = (query: URLSearchParams) => Promise<AuthResult>;

/** Clock tolerance for `exp` (and `nbf`), at the upgrade and while connected. */
export const CLOCK_TOLERANCE_S = 2;
const MAX_PATTERNS = 256;

/**
 * A `rooms` claim: `*` matches any run of characters (the empty run, `.` and `:` included). Patterns are
 * matched without backtracking (a regex of many `.*` takes exponential time on a failing name, §10.8).
 */
export class RoomPolicy {
  private readonly exact = new Set<string>();
  private readonly wildcards: string[][] = [];
  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      if (pattern.includes('*')) this.wildcards.push(pattern.split('*'));
      else this.exact.add(pattern);
    }
  }
  allows(room: string): boolean {
    return this.exact.has(room) || this.wildcards.some((parts) => globMatches(parts, room));
  }
}

/**
 * `parts` is a pattern split on `*` (so at least two parts). The first part must be a prefix and the last a
 * suffix; each middle part is taken at its leftmost place after the previous one. Leftmost is always safe
 * (a later place leaves less room for what follows), so one pass decides: time linear in the name for a
 * given pattern.
 */
const globMatches = (parts: readonly string[], name: string): boolean => {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const found = name.indexOf(part, at);
    if (found === -1 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
};

const devAuthenticator: Authenticator = async (query) => {
  const user = query.get('user');
  if (!isValidId(user)) return { reason: 'missing or invalid ?user= (dev mode)' };
  const name = query.get('name') ?? user;
  if (!displayName.safeParse(name).success) return { reason: 'invalid ?name=' };
  return { identity: { user, name, rooms: undefined, expiresAt: undefined } };
};

const jwtAuthenticator = (config: Config['auth']): Authenticator => {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? ['RS256', 'ES256'] : [])];
  // HS256 tokens verify against the shared secret, RS256/ES256 against the key set; `none` never.
  const key: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (jwks && (header.alg === 'RS256' || header.alg === 'ES256')) return jwks(header, token);
    throw new Error(`algorithm ${String(header.alg)} not accepted`);
  };
  return async (query) => {
    const token = query.get('token');
    if (!token) return { reason: 'missing ?token=' };
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms,
        clockTolerance: CLOCK_TOLERANCE_S,
        // A token without exp would never expire (§10.8); aud and iss pin tokens to this deployment.
        requiredClaims: ['exp'],
        audience: config.jwtAudience,
        issuer: config.jwtIssuer,
      }));
    } catch (err) {
      return { reason: `invalid token: ${(err as Error).message}` };
    }
    if (!isValidId(payload.sub)) return { reason: 'invalid token: sub is not a valid user id' };
    const rawName = payload.name;
    const name = typeof rawName === 'string' && displayName.safeParse(rawName).success ? rawName : payload.sub;
    const rawRooms = payload.rooms;
    if (
      rawRooms !== undefined &&
      (!Array.isArray(rawRooms) ||
        rawRooms.length > MAX_PATTERNS ||
        !rawRooms.every((r) => typeof r === 'string' && r.length <= 128))
    ) {
      return { reason: 'invalid token: rooms must be a list of room patterns' };
    }
    return {
      identity: {
        user: payload.sub,
        name,
        rooms: rawRooms === undefined ? undefined : new RoomPolicy(rawRooms as string[]),
        expiresAt: (payload.exp as number) * 1000, // required above
      },
    };
  };
};

export const createAuthenticator = (config: Config['auth']): Authenticator =>
  config.mode === 'jwt' ? jwtAuthenticator(config) : devAuthenticator;
