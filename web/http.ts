/**
 * Every request the page makes to /v1: JSON calls, uploads with progress, images, and streamed
 * answers. When the API needs a key, the page asks for it once, keeps it in sessionStorage (gone
 * when the tab closes) and sends it only as an Authorization header, never in a URL, so images
 * are fetched with the header and shown from blob: URLs.
 */
import type { UploadView } from '../api/views.ts';
import { byId } from './dom.ts';
import { SseParser, type SseEvent } from './sse.ts';

const KEY_STORAGE = 'folio.apiKey';

/** A response that was not 2xx, with the API's error code and message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

let key: string | null = sessionStorage.getItem(KEY_STORAGE);
let pendingPrompt: Promise<void> | null = null;

function authHeaders(): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

export function hasKey(): boolean {
  return key !== null;
}

export function forgetKey(): void {
  key = null;
  sessionStorage.removeItem(KEY_STORAGE);
}

/**
 * Shows the key dialog until the user gives a key the API accepts (checked against the document
 * list). Callers that hit a 401 at the same time share one prompt.
 */
export function askForKey(reason = ''): Promise<void> {
  pendingPrompt ??= new Promise<void>((resolve) => {
    const dialog = byId<HTMLDialogElement>('key-dialog');
    // Escape would leave the page without a key and every request failing: keep the dialog up.
    dialog.oncancel = (event) => event.preventDefault();
    const form = byId<HTMLFormElement>('key-form');
    const input = byId<HTMLInputElement>('key-input');
    const error = byId('key-error');
    error.textContent = reason;
    input.value = '';
    const onSubmit = async (event: Event) => {
      event.preventDefault();
      const candidate = input.value.trim();
      if (!candidate) return;
      error.textContent = 'Checking…';
      const response = await fetch('/v1/documents', { headers: { authorization: `Bearer ${candidate}` } }).catch(() => null);
      if (!response) {
        error.textContent = 'The server did not answer; try again.';
        return;
      }
      if (response.status === 401) {
        error.textContent = 'That key was not accepted.';
        input.select();
        return;
      }
      key = candidate;
      sessionStorage.setItem(KEY_STORAGE, candidate);
      form.removeEventListener('submit', onSubmit);
      dialog.close();
      pendingPrompt = null;
      document.dispatchEvent(new CustomEvent('folio:key'));
      resolve();
    };
    form.addEventListener('submit', onSubmit);
    dialog.showModal();
    input.focus();
  });
  return pendingPrompt;
}

async function errorOf(response: Response): Promise<HttpError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new HttpError(response.status, body.error.code ?? 'error', body.error.message);
  } catch {
    // Not the API's JSON error shape (a proxy's page, say): report the status line instead.
  }
  return new HttpError(response.status, 'http_error', `HTTP ${response.status} ${response.statusText}`.trim());
}

/** fetch with the key; a 401 asks for a (new) key and tries once more. */
async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const send = () => fetch(path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...authHeaders() } });
  let response = await send();
  if (response.status === 401) {
    await askForKey(key ? 'The key was refused; enter another.' : '');
    response = await send();
  }
  return response;
}

export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await authorizedFetch(path, init);
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

export async function fetchBlob(path: string): Promise<Blob> {
  const response = await authorizedFetch(path);
  if (!response.ok) throw await errorOf(response);
  return response.blob();
}

const images = new Map<string, Promise<string>>();

/**
 * A PNG the API serves, as a blob: URL fetched with the key. Kept for the page's lifetime (the
 * API's image URLs name immutable content); a failure is not kept, so a page that was not
 * stored yet loads on a later try.
 */
export function imageUrl(path: string): Promise<string> {
  let url = images.get(path);
  if (!url) {
    url = fetchBlob(path).then((blob) => URL.createObjectURL(blob));
    url.catch(() => images.delete(path));
    images.set(path, url);
  }
  return url;
}

/**
 * Uploads one PDF as the raw body with XMLHttpRequest, whose upload events report progress
 * (fetch has none for request bodies). Resolves with the API's reply; rejects with its error.
 */
export function uploadPdf(file: File, onProgress: (sent: number, total: number) => void): Promise<{ status: number; body: UploadView }> {
  const attempt = () =>
    new Promise<{ status: number; body: UploadView }>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/v1/documents?filename=${encodeURIComponent(file.name)}`);
      xhr.setRequestHeader('content-type', 'application/pdf');
      for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
      xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size));
      xhr.addEventListener('load', () => {
        let body: unknown = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          // Handled below as a status without the API's JSON.
        }
        if (xhr.status >= 200 && xhr.status < 300) return resolve({ status: xhr.status, body: body as UploadView });
        const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
        reject(new HttpError(xhr.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${xhr.status}`));
      });
      xhr.addEventListener('error', () => reject(new HttpError(0, 'network', 'The upload did not reach the server.')));
      xhr.send(file);
    });
  return attempt().catch(async (error: unknown) => {
    if (!(error instanceof HttpError) || error.status !== 401) throw error;
    await askForKey(key ? 'The key was refused; enter another.' : '');
    return attempt();
  });
}

/**
 * POSTs JSON and yields the server-sent events of the reply as they arrive. A reply that is not
 * an event stream (a 409 while the document ingests, a 400) is thrown as an HttpError.
 */
export async function* postForEvents(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<SseEvent> {
  const response = await authorizedFetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await errorOf(response);
  if (!response.body) throw new HttpError(response.status, 'no_body', 'The answer came without a body.');
  const parser = new SseParser();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    yield* parser.push(value);
  }
}
