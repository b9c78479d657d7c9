/**
 * Folio's web page: the sidebar of documents and uploads, and the open document (its status,
 * its workflow in the Temporal Web UI, the ask box and the page viewer). The location's hash
 * says what is open: #/documents/<id> or #/documents/<id>/pages/<n>[?box=x0,y0,x1,y1&label=…].
 */
import type { WebPageConfig } from '../api/routes/web.ts';
import type { DocumentView } from '../api/views.ts';
import { AskBox } from './ask.ts';
import { byId, fill, formatBytes, h } from './dom.ts';
import { DocumentList, documentName, pagesText, workflowLink } from './documents.ts';
import { askForKey, forgetKey, hasKey } from './http.ts';
import { PageViewer, parseBox } from './viewer.ts';

const config = JSON.parse(byId('folio-config').textContent ?? '{}') as WebPageConfig;

interface OpenDocument {
  id: string;
  header: HTMLElement;
  ask: AskBox;
  viewer: PageViewer;
  /** What the header last showed, and the status and page count the viewer last had. */
  shown: string;
  status: string | null;
  pages: number;
}

let open: OpenDocument | null = null;

const list = new DocumentList(config, (documents) => {
  if (!open) return;
  const doc = documents.find((d) => d.id === open?.id);
  if (doc) updateOpen(doc);
});

function openDocument(id: string): OpenDocument {
  const header = h('header', { class: 'doc-header' });
  const ask = new AskBox(id);
  const viewer = new PageViewer(id);
  fill(byId('document'), header, ask.element, viewer.element);
  list.select(id);
  const doc: OpenDocument = { id, header, ask, viewer, shown: '', status: null, pages: 0 };
  const known = list.all.find((d) => d.id === id);
  open = doc;
  if (known) updateOpen(known);
  else fill(header, h('h2', {}, `Document ${id.slice(0, 12)}…`), h('p', { class: 'muted' }, 'Loading…'));
  return doc;
}

function updateOpen(doc: DocumentView): void {
  if (!open) return;
  const changed = open.status !== doc.status || open.pages !== (doc.pages.total ?? 0);
  const shown = `${doc.status}|${doc.pages.done}|${doc.pages.total}|${doc.pages.withErrors}|${doc.failureReason}`;
  if (shown !== open.shown) {
    open.shown = shown;
    fill(
      open.header,
      h('h2', {}, documentName(doc)),
      h(
        'p',
        { class: 'doc-meta' },
        h('span', { class: `badge status-${doc.status}` }, doc.status),
        ` ${pagesText(doc)} · ${formatBytes(doc.bytes)} · `,
        h('a', { href: workflowLink(config, doc.id), target: '_blank', rel: 'noopener noreferrer' }, 'ingestion workflow in the Temporal Web UI'),
      ),
      doc.failureReason ? h('p', { class: 'error', role: 'alert' }, `Ingestion failed: ${doc.failureReason}`) : null,
    );
  }
  open.ask.setReady(doc.status === 'ready', doc.status);
  if (changed) open.viewer.setPages(doc.pages.total ?? 0, doc.status === 'ready');
  // A ready document opens on its first page unless the address names another.
  if (doc.status === 'ready' && !open.viewer.showing && !/\/pages\//.test(location.hash)) void open.viewer.showPage(1, null);
  open.status = doc.status;
  open.pages = doc.pages.total ?? 0;
}

function route(): void {
  const match = /^#\/documents\/([0-9a-f]{64})(?:\/pages\/(\d+))?(?:\?(.*))?$/.exec(location.hash);
  if (!match) {
    open = null;
    list.select(null);
    fill(byId('document'), h('div', { class: 'welcome' }, h('h2', {}, 'Ask your PDFs'), h('p', {}, 'Drop one or more PDFs on the left, or pick a document. When it is ready, ask a question: every answer cites the page and the box it came from.')));
    return;
  }
  const [, id, page, query] = match;
  const doc = open?.id === id ? open : openDocument(id);
  if (page) {
    const params = new URLSearchParams(query ?? '');
    const box = parseBox(params.get('box'));
    void doc.viewer.showPage(Number(page), box ? { box, label: params.get('label') ?? '' } : null).then(() => {
      if (box) byId('page-heading').focus({ preventScroll: true });
    });
  }
}

function start(): void {
  byId('forget-key').hidden = !config.authRequired;
  byId('forget-key').addEventListener('click', () => {
    forgetKey();
    location.reload();
  });
  window.addEventListener('hashchange', route);
  route();
  void list.refresh();
}

if (config.authRequired && !hasKey()) void askForKey().then(start);
else start();
