/**
 * Bearer-key authentication for /v1 routes (a no-op when no keys are configured) and per-key
 * rate limits.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.ts';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The digests of the accepted keys: FOLIO_API_KEYS hashed here, FOLIO_API_KEY_HASHES as given. */
export function keyDigests(keys: readonly string[], hashes: readonly string[] = []): Buffer[] {
  return [...keys.map(digest), ...hashes.map((hex) => Buffer.from(hex, 'hex'))];
}

/**
 * Which key a bearer token is, or null. Digests all have the same length, so every comparison
 * takes the same time whatever the token, and every key is compared, so timing tells nothing
 * about which one was close.
 */
function keyOf(given: string, digests: readonly Buffer[]): string | null {
  const d = digest(given);
  let found: string | null = null;
  for (const candidate of digests) if (timingSafeEqual(d, candidate)) found = candidate.toString('hex').slice(0, 12);
  return found;
}

/** Sets `apiKey` (a short fingerprint of the key's digest, never the key) for the routes after it. */
export function requireApiKey(digests: readonly Buffer[]): MiddlewareHandler {
  return async (c, next) => {
    if (digests.length === 0) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const key = match ? keyOf(match[1].trim(), digests) : null;
    if (!key) {
      c.header('WWW-Authenticate', 'Bearer realm="folio"');
      return errorResponse(c, 401, 'unauthorized', 'A valid API key is required: send "Authorization: Bearer <key>".');
    }
    c.set('apiKey', key);
    return next();
  };
}

/**
 * A token bucket per key (per client address when no keys are configured): `burst` requests at
 * once, refilled at `perMinute` a minute. Over the limit: 429 with Retry-After in seconds.
 */
export function rateLimit(perMinute: number, burst: number, clientOf: (c: Parameters<MiddlewareHandler>[0]) => string): MiddlewareHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  return async (c, next) => {
    if (perMinute <= 0) return next();
    const who = (c.get('apiKey') as string | undefined) ?? `addr:${clientOf(c)}`;
    const now = Date.now();
    const bucket = buckets.get(who) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    buckets.set(who, bucket);
    if (bucket.tokens < 1) {
      const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      c.header('Retry-After', String(seconds));
      return errorResponse(c, 429, 'rate_limited', `Too many requests: the limit is ${perMinute} a minute (bursts of ${burst}); retry in ${seconds} s.`);
    }
    bucket.tokens -= 1;
    return next();
  };
}
