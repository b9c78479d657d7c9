/** Bearer-key authentication for /v1 routes; a no-op when no keys are configured. */
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.ts';

function matches(given: string, keys: readonly string[]): boolean {
  const a = Buffer.from(given);
  let ok = false;
  for (const key of keys) {
    const b = Buffer.from(key);
    // Compare every key in constant time so timing tells nothing about which was close.
    if (a.length === b.length && timingSafeEqual(a, b)) ok = true;
  }
  return ok;
}

export function requireApiKey(keys: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    if (keys.length === 0) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !matches(match[1].trim(), keys)) {
      c.header('WWW-Authenticate', 'Bearer realm="folio"');
      return errorResponse(c, 401, 'unauthorized', 'A valid API key is required: send "Authorization: Bearer <key>".');
    }
    return next();
  };
}
