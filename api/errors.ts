/** API errors: one JSON shape, `{ error: { code, message, field? } }`, with the matching status. */
import type { Hook } from '@hono/zod-openapi';
import type { Context, Env } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; field?: string },
  ) {
    super(message, options);
    this.name = 'ApiError';
    if (options?.field) this.field = options.field;
  }
  readonly field?: string;
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, field?: string) {
  return c.json({ error: { code, message, ...(field ? { field } : {}) } }, status);
}

/**
 * A request that does not match its route's schema: 400 naming the first field that failed
 * (`id`, `question`, `documents.0`), so a client knows what to fix.
 */
export const validationHook: Hook<unknown, Env, string, unknown> = (result, c) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : result.target;
  const where = { param: 'path parameter', query: 'query parameter', json: 'body field', form: 'form field', header: 'header', cookie: 'cookie' }[result.target] ?? result.target;
  return errorResponse(c, 400, 'invalid_request', `The ${where} "${field}" ${issue?.message ?? 'is invalid'}.`, field);
};

/**
 * Errors hono raises itself (a body that is not JSON, an unsupported media type) in the same
 * shape as ours.
 */
export function httpExceptionResponse(c: Context, error: HTTPException) {
  const status = error.status as ContentfulStatusCode;
  const code = status === 400 ? 'invalid_body' : status === 415 ? 'unsupported_media_type' : `http_${status}`;
  return errorResponse(c, status, code, error.message || 'The request could not be handled.');
}

export { HTTPException };

/** The request's multipart form; a body that is not one (a bad boundary, truncated parts) is the client's 400, not a 500. */
export async function formDataOf(req: Request): Promise<FormData> {
  try {
    return await req.formData();
  } catch (error) {
    throw new ApiError(400, 'invalid_request', 'The body is not a valid multipart/form-data body.', { cause: error, field: 'body' });
  }
}
