/**
 * Holds HTTP responses to the API's published contract: the operation a URL names in
 * /openapi.json must declare the response's status and content type, and a JSON body must parse
 * with the zod schema behind the declared component (the same zod schema the routes are built
 * from, so the check is against the single source of truth, not a copy).
 */
import assert from 'node:assert/strict';
import type { z } from '@hono/zod-openapi';
import {
  AnswerSchema,
  BatchCreatedSchema,
  BatchListSchema,
  BatchSchema,
  BatchSignalSchema,
  BatchSummarySchema,
  DocumentListSchema,
  DocumentSchema,
  ErrorSchema,
  HealthSchema,
  PageSchema,
  ReadySchema,
  TableSchema,
  TablesSchema,
  TokensSchema,
  UploadSchema,
} from '../../api/schemas.ts';

/** The zod schema behind each response component of /openapi.json, by component name. */
const responseSchemas: Record<string, z.ZodType> = {
  Answer: AnswerSchema,
  Batch: BatchSchema,
  BatchCreated: BatchCreatedSchema,
  BatchList: BatchListSchema,
  BatchSignal: BatchSignalSchema,
  BatchSummary: BatchSummarySchema,
  Document: DocumentSchema,
  DocumentList: DocumentListSchema,
  Error: ErrorSchema,
  Health: HealthSchema,
  Page: PageSchema,
  Readiness: ReadySchema,
  Table: TableSchema,
  Tables: TablesSchema,
  VisualTokens: TokensSchema,
  Upload: UploadSchema,
};

interface MediaType {
  schema?: { $ref?: string };
}
interface Operation {
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
}

export interface Contract {
  /**
   * Reads the response's body, fails unless the operation `method url` declares its status and
   * content type and (for JSON) the body parses with the declared schema, and returns the body
   * (parsed JSON, or the raw bytes for other content types).
   */
  check<T = unknown>(method: string, url: string, response: Response): Promise<T>;
  /** How many responses were checked, per component name (so a test can show it checked some). */
  checked: Map<string, number>;
}

function templateRegex(template: string): RegExp {
  const literal = (part: string) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${template.split(/\{[^}]+\}/).map(literal).join('[^/]+')}$`);
}

/** Fetches /openapi.json from `apiUrl` once and returns a checker for responses of that API. */
export async function loadContract(apiUrl: string, headers: Record<string, string> = {}): Promise<Contract> {
  const response = await fetch(`${apiUrl}/openapi.json`, { headers });
  assert.equal(response.status, 200, 'GET /openapi.json');
  const spec = (await response.json()) as Spec;
  const routes = Object.entries(spec.paths).map(([template, methods]) => ({ template, regex: templateRegex(template), methods }));
  // A component the spec names with no zod schema here would go unchecked: fail instead.
  for (const { template, methods } of routes) {
    for (const [method, operation] of Object.entries(methods)) {
      for (const [status, declared] of Object.entries(operation.responses)) {
        const ref = declared.content?.['application/json']?.schema?.$ref;
        if (ref) assert.ok(responseSchemas[ref.split('/').pop() ?? ''], `${method} ${template} ${status}: no zod schema for ${ref}`);
      }
    }
  }
  const checked = new Map<string, number>();
  return {
    checked,
    async check<T>(method: string, url: string, res: Response): Promise<T> {
      const pathname = new URL(url, apiUrl).pathname;
      const what = `${method.toUpperCase()} ${pathname} → ${res.status}`;
      const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
      const route = routes.find((r) => r.regex.test(pathname) && r.methods[method.toLowerCase()]);
      let component: string;
      if (!route) {
        // No operation has this path: the app's not-found handler answers, in the error shape.
        assert.equal(res.status, 404, `${what}: no operation in /openapi.json has this path`);
        component = 'Error';
      } else {
        const declared = route.methods[method.toLowerCase()].responses[String(res.status)];
        assert.ok(declared, `${what}: status not declared for ${method.toUpperCase()} ${route.template} (declared: ${Object.keys(route.methods[method.toLowerCase()].responses).join(', ')})`);
        const media = declared.content?.[contentType];
        assert.ok(media, `${what}: content type "${contentType}" not declared (declared: ${Object.keys(declared.content ?? {}).join(', ')})`);
        if (contentType !== 'application/json') return new Uint8Array(await res.arrayBuffer()) as T;
        component = media.schema?.$ref?.split('/').pop() ?? '';
      }
      assert.equal(contentType, 'application/json', `${what}: an error body must be JSON`);
      const body = await res.json();
      const result = responseSchemas[component].safeParse(body);
      assert.ok(result.success, `${what}: body does not match ${component}: ${result.error?.message}\n${JSON.stringify(body).slice(0, 2000)}`);
      checked.set(component, (checked.get(component) ?? 0) + 1);
      return body as T;
    },
  };
}
