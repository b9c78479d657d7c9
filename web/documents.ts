/**
 * The sidebar: the drop zone (one or many PDFs, each with its upload progress) and the document
 * list with each document's ingestion status, polled from GET /v1/documents: every second while
 * something is uploading or ingesting, every five seconds otherwise (documents added by the CLI
 * or another tab show up too).
 */
import type { DocumentView } from '../api/views.ts';
import type { WebPageConfig } from '../api/routes/web.ts';
import { byId, fill, formatBytes, go, h } from './dom.ts';
import { getJson, HttpError, uploadPdf } from './http.ts';

const BUSY_POLL_MS = 1000;
const IDLE_POLL_MS = 5000;

/** Nothing is running for it: ready, failed, or stored until a batch ingests it. */
export function isSettled(doc: DocumentView): boolean {
  return doc.status === 'ready' || doc.status === 'failed' || doc.status === 'stored';
}

export function documentName(doc: DocumentView): string {
  return doc.filename ?? doc.title ?? `${doc.id.slice(0, 12)}…`;
}

/** The document's ingestion workflow in the Temporal Web UI (its id is `ingest-<docId>`). */
export function workflowLink(config: WebPageConfig, docId: string): string {
  const query = `WorkflowId="ingest-${docId}"`;
  return `${config.temporalUi.url}/namespaces/${encodeURIComponent(config.temporalUi.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** "3/15 pages (1 with errors)"; the total is unknown until the PDF has been opened. */
export function pagesText(doc: DocumentView): string {
  const errors = doc.pages.withErrors > 0 ? ` (${doc.pages.withErrors} with errors)` : '';
  return `${doc.pages.done}/${doc.pages.total ?? '?'} pages${errors}`;
}

export class DocumentList {
  private readonly items = new Map<string, HTMLLIElement>();
  private documents: DocumentView[] = [];
  private uploading = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private selected: string | null = null;

  constructor(
    private readonly config: WebPageConfig,
    private readonly onChange: (documents: DocumentView[]) => void,
  ) {
    const zone = byId('drop-zone');
    const input = byId<HTMLInputElement>('file-input');
    input.addEventListener('change', () => {
      if (input.files) this.uploadAll([...input.files]);
      input.value = '';
    });
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('dragging');
      this.uploadAll([...(event.dataTransfer?.files ?? [])]);
    });
  }

  get all(): readonly DocumentView[] {
    return this.documents;
  }

  select(id: string | null): void {
    this.selected = id;
    for (const [docId, item] of this.items) {
      const button = item.querySelector('button.doc-open');
      if (docId === id) button?.setAttribute('aria-current', 'true');
      else button?.removeAttribute('aria-current');
    }
  }

  /** Polls now and then on its own schedule. */
  async refresh(): Promise<void> {
    clearTimeout(this.timer);
    try {
      const { documents } = await getJson<{ documents: DocumentView[] }>('/v1/documents');
      this.documents = documents;
      this.render();
      byId('documents-error').textContent = '';
      this.onChange(documents);
    } catch (error) {
      byId('documents-error').textContent = `Could not list documents: ${(error as Error).message}`;
    }
    const busy = this.uploading > 0 || this.documents.some((doc) => !isSettled(doc));
    this.timer = setTimeout(() => void this.refresh(), busy ? BUSY_POLL_MS : IDLE_POLL_MS);
  }

  private uploadAll(files: File[]): void {
    for (const file of files) void this.upload(file);
  }

  private async upload(file: File): Promise<void> {
    const bar = h('progress', { max: file.size || 1, value: 0, 'aria-label': `Upload of ${file.name}` });
    const state = h('span', { class: 'upload-state' }, 'starting…');
    const item = h('li', { class: 'upload' }, h('span', { class: 'upload-name' }, file.name), bar, state);
    byId('uploads').append(item);
    if (!/\.pdf$/i.test(file.name) && file.type !== 'application/pdf') {
      state.textContent = 'not a PDF: skipped';
      item.classList.add('failed');
      return;
    }
    if (file.size > this.config.maxUploadBytes) {
      state.textContent = `larger than the server accepts (${formatBytes(this.config.maxUploadBytes)})`;
      item.classList.add('failed');
      return;
    }
    this.uploading++;
    void this.refresh();
    try {
      const { body } = await uploadPdf(file, (sent, total) => {
        bar.max = total || 1;
        bar.value = sent;
        state.textContent = `${formatBytes(sent)} of ${formatBytes(total)}`;
      });
      bar.value = bar.max;
      state.textContent = body.created ? 'uploaded, ingesting' : 'already here';
      item.classList.add('done');
      item.dataset.documentId = body.id;
    } catch (error) {
      state.textContent = error instanceof HttpError ? `failed: ${error.message}` : `failed: ${(error as Error).message}`;
      item.classList.add('failed');
    } finally {
      this.uploading--;
      void this.refresh();
    }
  }

  private render(): void {
    const list = byId('documents');
    const seen = new Set<string>();
    for (const doc of this.documents) {
      seen.add(doc.id);
      let item = this.items.get(doc.id);
      if (!item) {
        item = this.newItem(doc);
        this.items.set(doc.id, item);
      }
      this.update(item, doc);
    }
    for (const [id, item] of this.items) {
      if (!seen.has(id)) {
        item.remove();
        this.items.delete(id);
      }
    }
    // Keep the API's order (newest first) without rebuilding items, so focus stays where it is.
    this.documents.forEach((doc, i) => {
      const item = this.items.get(doc.id)!;
      if (list.children[i] !== item) list.insertBefore(item, list.children[i] ?? null);
    });
    if (this.documents.length === 0) fill(byId('documents-empty'), 'No documents yet: drop a PDF above.');
    else fill(byId('documents-empty'));
  }

  private newItem(doc: DocumentView): HTMLLIElement {
    return h(
      'li',
      { class: 'doc', 'data-document-id': doc.id },
      h('button', { type: 'button', class: 'doc-open', onclick: () => go(`#/documents/${doc.id}`) }, h('span', { class: 'doc-name' })),
      h('div', { class: 'doc-status' }, h('span', { class: 'badge' }), h('span', { class: 'doc-pages' })),
      h('progress', { class: 'doc-progress', 'aria-label': `Ingestion of ${documentName(doc)}` }),
      h('p', { class: 'doc-failure', role: 'status' }),
      h('a', { class: 'doc-workflow', href: workflowLink(this.config, doc.id), target: '_blank', rel: 'noopener noreferrer' }, 'Workflow in Temporal'),
    );
  }

  private update(item: HTMLLIElement, doc: DocumentView): void {
    item.dataset.status = doc.status;
    item.querySelector('.doc-name')!.textContent = documentName(doc);
    const badge = item.querySelector('.badge')!;
    badge.textContent = doc.status;
    badge.className = `badge status-${doc.status}`;
    item.querySelector('.doc-pages')!.textContent = pagesText(doc);
    const progress = item.querySelector<HTMLProgressElement>('.doc-progress')!;
    progress.hidden = isSettled(doc);
    if (doc.pages.total) {
      progress.max = doc.pages.total;
      progress.value = doc.pages.done;
    } else {
      progress.removeAttribute('value');
    }
    item.querySelector('.doc-failure')!.textContent = doc.failureReason ? `Failed: ${doc.failureReason}` : '';
    if (doc.id === this.selected) item.querySelector('button.doc-open')?.setAttribute('aria-current', 'true');
  }
}
