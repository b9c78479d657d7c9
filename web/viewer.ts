/**
 * The page viewer of a document: thumbnails of every page, and one page's image with its units
 * drawn as boxes (by kind), a highlighted box (a citation's, a table cell's), the kept visual
 * tokens on demand, the page's figure crops and its tables as HTML tables.
 *
 * Boxes are PDF points with the origin at the top-left, so an SVG whose viewBox is the page's
 * size in points lies exactly over the page image at any display size.
 */
import type { PageView, TablesView, TableView, TokensView, UnitView } from '../api/views.ts';
import type { Box } from '../models/document/types.ts';
import type { VisualLedger } from '../models/visual/compress/pipeline.ts';
import { fill, go, h, svg } from './dom.ts';
import { fetchBlob, getJson, HttpError, imageUrl } from './http.ts';

/** The unit kinds, in the legend's order, and what the legend calls them. */
const KINDS: [NonNullable<UnitView['kind']>, string][] = [
  ['heading', 'heading'],
  ['text', 'paragraph'],
  ['list', 'list item'],
  ['caption', 'caption'],
  ['table', 'table'],
  ['figure', 'figure'],
  ['header', 'running header'],
  ['footer', 'running footer'],
];

export interface Highlight {
  box: Box;
  /** What the box is (the citation's quote, a cell's text), shown beside the page. */
  label: string;
}

export function boxParam(box: Box): string {
  return box.map((v) => Math.round(v * 100) / 100).join(',');
}

export function parseBox(text: string | null): Box | null {
  if (!text) return null;
  const values = text.split(',').map(Number);
  return values.length === 4 && values.every(Number.isFinite) ? (values as Box) : null;
}

/** Navigates to a page of the open document, optionally with a box highlighted. */
export function pageHash(docId: string, page: number, highlight?: Highlight): string {
  const query = highlight ? `?box=${boxParam(highlight.box)}&label=${encodeURIComponent(highlight.label.slice(0, 300))}` : '';
  return `#/documents/${docId}/pages/${page}${query}`;
}

export class PageViewer {
  readonly element: HTMLElement;
  private readonly thumbs = h('ol', { class: 'thumbs', 'aria-label': 'Pages' });
  private readonly pagePanel = h('section', { class: 'page-panel', 'aria-labelledby': 'page-heading' });
  private readonly tablesPanel = h('section', { class: 'tables-panel', 'aria-label': 'Tables of the document' });
  private readonly hiddenKinds = new Set<string>(['header', 'footer']);
  private showTokens = false;
  private tables: Promise<TablesView> | null = null;
  private pageCount = 0;
  private current: { page: number; highlight: Highlight | null } | null = null;
  private renderToken = 0;
  private readonly observer: IntersectionObserver;

  constructor(private readonly docId: string) {
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        this.observer.unobserve(entry.target);
        void this.loadThumbnail(entry.target as HTMLLIElement);
      }
    });
    const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Document view' });
    const pagesTab = h('button', { type: 'button', role: 'tab', id: 'tab-pages', 'aria-selected': 'true', 'aria-controls': 'pages-view' }, 'Pages');
    const tablesTab = h('button', { type: 'button', role: 'tab', id: 'tab-tables', 'aria-selected': 'false', 'aria-controls': 'tables-view' }, 'Tables');
    const pagesView = h('div', { id: 'pages-view', role: 'tabpanel', 'aria-labelledby': 'tab-pages', class: 'pages-view' }, this.thumbs, this.pagePanel);
    const tablesView = h('div', { id: 'tables-view', role: 'tabpanel', 'aria-labelledby': 'tab-tables', hidden: true }, this.tablesPanel);
    const choose = (tables: boolean) => {
      pagesTab.setAttribute('aria-selected', String(!tables));
      tablesTab.setAttribute('aria-selected', String(tables));
      pagesView.hidden = tables;
      tablesView.hidden = !tables;
      if (tables) void this.renderAllTables();
    };
    pagesTab.addEventListener('click', () => choose(false));
    tablesTab.addEventListener('click', () => choose(true));
    this.showPagesTab = () => choose(false);
    tabs.append(pagesTab, tablesTab);
    this.element = h('section', { class: 'viewer', 'aria-label': 'Pages and tables' }, tabs, pagesView, tablesView);
    fill(this.pagePanel, h('p', { class: 'muted' }, 'Pick a page to see its units, figures and tables.'));
  }

  private readonly showPagesTab: () => void;

  /** Whether a page is shown (or being loaded). */
  get showing(): boolean {
    return this.current !== null;
  }

  /** Shows thumbnails for `count` pages (again when the document became ready). */
  setPages(count: number, ready: boolean): void {
    if (count === this.pageCount && !ready) return;
    this.pageCount = count;
    this.observer.disconnect();
    const items: HTMLLIElement[] = [];
    for (let n = 1; n <= count; n++) {
      const item = h(
        'li',
        { 'data-page': n },
        h('button', { type: 'button', class: 'thumb', 'aria-label': `Page ${n}`, onclick: () => go(pageHash(this.docId, n)) }, h('span', { class: 'thumb-number' }, n)),
      );
      items.push(item);
      this.observer.observe(item);
    }
    fill(this.thumbs, items);
    this.markCurrentThumb();
    if (ready) this.tables = null;
  }

  private async loadThumbnail(item: HTMLLIElement): Promise<void> {
    const n = Number(item.dataset.page);
    const button = item.querySelector('button')!;
    try {
      const url = await imageUrl(`/v1/documents/${this.docId}/pages/${n}/thumbnail.png`);
      button.prepend(h('img', { src: url, alt: '', loading: 'lazy' }));
    } catch (error) {
      // Not stored yet (still ingesting) or failed: the number stays; setPages tries again at ready.
      button.title = (error as Error).message;
    }
  }

  private markCurrentThumb(): void {
    for (const item of this.thumbs.children) {
      const button = item.querySelector('button');
      if (Number((item as HTMLElement).dataset.page) === this.current?.page) button?.setAttribute('aria-current', 'page');
      else button?.removeAttribute('aria-current');
    }
  }

  async showPage(page: number, highlight: Highlight | null): Promise<void> {
    this.showPagesTab();
    this.current = { page, highlight };
    this.markCurrentThumb();
    this.thumbs.querySelector(`li[data-page="${page}"]`)?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    const token = ++this.renderToken;
    fill(this.pagePanel, h('p', { class: 'muted' }, `Loading page ${page}…`));
    let view: PageView;
    try {
      view = await getJson<PageView>(`/v1/documents/${this.docId}/pages/${page}`);
    } catch (error) {
      if (token === this.renderToken) fill(this.pagePanel, h('p', { class: 'error', role: 'alert' }, `Page ${page}: ${(error as Error).message}`));
      return;
    }
    if (token !== this.renderToken) return;
    this.renderPage(view, highlight);
  }

  private renderPage(view: PageView, highlight: Highlight | null): void {
    const overlay = svg('svg', { class: 'overlay', viewBox: `0 0 ${view.width} ${view.height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': `Unit boxes of page ${view.page}` });
    const units = svg('g', { class: 'units' });
    for (const unit of view.units) {
      const kind = unit.kind ?? 'text';
      const rect = rectOf(unit.bbox, { class: `unit kind-${kind}`, 'data-kind': kind, 'data-reading-order': unit.readingOrder });
      rect.append(svg('title', {}, `${kind} #${unit.readingOrder}: ${unit.text.slice(0, 200)}`));
      rect.classList.toggle('off', this.hiddenKinds.has(kind));
      units.append(rect);
    }
    const tokens = svg('g', { class: 'tokens' });
    overlay.append(units, tokens);
    if (highlight) {
      overlay.append(rectOf(highlight.box, { class: 'highlight', 'data-box': boxParam(highlight.box) }, svg('title', {}, highlight.label)));
    }

    const image = h('img', { class: 'page-image', alt: `Page ${view.page}` });
    const canvas = h('div', { class: 'page-canvas', style: `aspect-ratio: ${view.width} / ${view.height}` }, image, overlay);
    if (view.thumbnail) {
      imageUrl(view.thumbnail).then(
        (url) => {
          image.src = url;
        },
        (error: Error) => canvas.prepend(h('p', { class: 'error' }, `No page image: ${error.message}`)),
      );
    } else {
      canvas.prepend(h('p', { class: 'muted' }, 'This page has no stored image.'));
    }

    const tokenSummary = h('p', { class: 'token-summary', 'aria-live': 'polite' });
    const tokenToggle = h('input', { type: 'checkbox', id: 'show-tokens', checked: this.showTokens });
    const drawTokens = async () => {
      this.showTokens = tokenToggle.checked;
      tokens.replaceChildren();
      tokenSummary.textContent = '';
      if (!this.showTokens) return;
      tokenSummary.textContent = 'Loading visual tokens…';
      try {
        const kept = await getJson<TokensView>(`/v1/documents/${this.docId}/pages/${view.page}/tokens`);
        drawTokenBoxes(tokens, kept);
        tokenSummary.replaceChildren(...tokenLedger(kept));
      } catch (error) {
        tokenSummary.textContent = error instanceof HttpError && error.status === 404 ? `No visual tokens: ${error.message}` : `Visual tokens: ${(error as Error).message}`;
      }
    };
    tokenToggle.addEventListener('change', () => void drawTokens());
    if (this.showTokens) void drawTokens();

    const legend = h(
      'fieldset',
      { class: 'legend' },
      h('legend', {}, 'Boxes'),
      KINDS.filter(([kind]) => view.units.some((u) => (u.kind ?? 'text') === kind)).map(([kind, label]) => {
        const count = view.units.filter((u) => (u.kind ?? 'text') === kind).length;
        const box = h('input', { type: 'checkbox', id: `kind-${kind}`, checked: !this.hiddenKinds.has(kind) });
        box.addEventListener('change', () => {
          if (box.checked) this.hiddenKinds.delete(kind);
          else this.hiddenKinds.add(kind);
          for (const rect of units.querySelectorAll(`.kind-${kind}`)) rect.classList.toggle('off', !box.checked);
        });
        return h('label', { class: `swatch kind-${kind}`, for: `kind-${kind}` }, box, ` ${label} (${count})`);
      }),
      h('label', { class: 'swatch tokens-swatch', for: 'show-tokens' }, tokenToggle, ' kept visual tokens'),
    );

    const nav = h(
      'div',
      { class: 'page-nav' },
      h('button', { type: 'button', disabled: view.page <= 1, onclick: () => go(pageHash(this.docId, view.page - 1)) }, '← Previous'),
      h('button', { type: 'button', disabled: this.pageCount > 0 && view.page >= this.pageCount, onclick: () => go(pageHash(this.docId, view.page + 1)) }, 'Next →'),
    );

    const figures = view.units.filter((u) => u.kind === 'figure');
    const tableUnits = view.units.filter((u) => u.kind === 'table');
    fill(
      this.pagePanel,
      h(
        'header',
        { class: 'page-header' },
        h('h3', { id: 'page-heading', tabindex: -1 }, `Page ${view.page}${this.pageCount ? ` of ${this.pageCount}` : ''}`),
        h('span', { class: 'muted' }, `${view.units.length} units · text from ${view.textSource === 'ocr' ? 'OCR' : 'the text layer'}`),
        nav,
      ),
      view.error ? h('p', { class: 'error', role: 'alert' }, `This page could not be read fully: ${view.error}`) : null,
      highlight ? h('p', { class: 'highlight-note' }, h('strong', {}, 'Highlighted: '), highlight.label) : null,
      h('div', { class: 'page-body' }, canvas, h('div', { class: 'page-side' }, legend, tokenSummary, unitList(view.units))),
      figures.length ? h('section', { class: 'figures' }, h('h4', {}, 'Figures on this page'), figures.map((unit) => figureCard(unit))) : null,
      tableUnits.length ? h('section', { class: 'page-tables' }, h('h4', {}, 'Tables on this page'), tableUnits.map((unit) => this.pageTable(view.page, unit))) : null,
    );
    const target = this.pagePanel.querySelector('.highlight');
    if (target) canvas.scrollIntoView({ block: 'nearest' });
  }

  /** A table unit of the page: the statement table read as data when there is one, else its cells as printed. */
  private pageTable(page: number, unit: UnitView): HTMLElement {
    const holder = h('div', { class: 'table-holder' }, unit.cells ? plainTable(unit) : h('p', { class: 'muted' }, unit.text));
    void this.loadTables().then(
      (all) => {
        const table = all.tables.find((t) => t.id === `${page}-${unit.readingOrder}`);
        if (table) fill(holder, this.statementTable(table));
      },
      () => {
        // The printed cells stay; the tables tab shows the route's error.
      },
    );
    return holder;
  }

  private loadTables(): Promise<TablesView> {
    this.tables ??= getJson<TablesView>(`/v1/documents/${this.docId}/tables`);
    this.tables.catch(() => {
      this.tables = null;
    });
    return this.tables;
  }

  private async renderAllTables(): Promise<void> {
    fill(this.tablesPanel, h('p', { class: 'muted' }, 'Loading tables…'));
    try {
      const { tables } = await this.loadTables();
      if (tables.length === 0) {
        fill(this.tablesPanel, h('p', { class: 'muted' }, 'No statement tables were read from this document.'));
        return;
      }
      fill(this.tablesPanel, tables.map((table) => this.statementTable(table)));
    } catch (error) {
      fill(this.tablesPanel, h('p', { class: 'error', role: 'alert' }, `Tables: ${(error as Error).message}`));
    }
  }

  /** A statement table as an HTML table; every cell opens its page with the cell's box highlighted. */
  private statementTable(table: TableView): HTMLElement {
    const unit = [table.unit.currency, table.unit.scale !== 1 ? `× ${table.unit.scale.toLocaleString()}` : null, table.unit.percent ? '%' : null, table.unit.perShare ? 'per share' : null].filter(Boolean).join(' ');
    const show = (box: Box, label: string) => () => go(pageHash(this.docId, table.page, { box, label }));
    return h(
      'figure',
      { class: 'statement', 'data-table-id': table.id },
      h(
        'figcaption',
        {},
        h('strong', {}, table.title ?? table.caption ?? `Table ${table.id}`),
        ` · page ${table.page}`,
        unit ? ` · ${unit}` : '',
        ' ',
        h('button', { type: 'button', class: 'small', onclick: show(table.box, `Table ${table.id}`) }, 'Show on page'),
        ' ',
        h('a', { class: 'small', href: '#', onclick: (event: Event) => void downloadCsv(event, this.docId, table.id) }, 'CSV'),
      ),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, table.labelHeader ?? ''), table.columns.map((column) => h('th', { scope: 'col', title: column.period?.label ?? '' }, column.header)))),
          h(
            'tbody',
            {},
            table.rows.map((row) => {
              const cells = table.columns.map((_, c) => {
                const cell = row.cells.find((x) => x.column === c);
                if (!cell) return h('td', {});
                return h('td', {}, h('button', { type: 'button', class: 'cell', onclick: show(cell.box, `${row.label} (${table.columns[c].header}): ${cell.text}`) }, cell.text));
              });
              return h('tr', { class: [row.heading ? 'heading' : '', row.total ? 'total' : ''].join(' ').trim() || null }, h('th', { scope: 'row', style: `padding-left: ${0.4 + row.level}em` }, row.label), cells);
            }),
          ),
        ),
      ),
    );
  }
}

function rectOf(box: Box, attributes: Record<string, string | number>, ...children: SVGElement[]): SVGRectElement {
  const [x0, y0, x1, y1] = box;
  return svg('rect', { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0), ...attributes }, ...children);
}

function drawTokenBoxes(group: SVGGElement, kept: TokensView): void {
  const top = Math.max(...kept.tokens.map((t) => t.score), 1e-9);
  for (const token of kept.tokens) {
    const box = token.box as Box;
    const kind = token.superToken ? 'super' : token.crop === 0 ? 'thumb' : 'tile';
    // Stronger tokens are more opaque, so what the compression valued most stands out.
    const opacity = 0.15 + 0.55 * Math.max(0, token.score) / top;
    group.append(rectOf(box, { class: `token token-${kind}`, 'fill-opacity': opacity.toFixed(2) }));
  }
}

function tokenLedger(kept: TokensView): (Node | string)[] {
  const ledger = kept.ledger as Partial<VisualLedger>;
  const supers = kept.tokens.filter((t) => t.superToken).length;
  const parts: (Node | string)[] = [`${kept.count} tokens kept (${kept.encoder} encoder), ${supers} of them super tokens`];
  if (typeof ledger.retention === 'number') parts.push(`, retention ${ledger.retention}, budget ${ledger.budget}`);
  parts.push('.');
  if (ledger.stages?.length) {
    parts.push(
      h(
        'table',
        { class: 'mini' },
        h('caption', {}, 'Compression stages'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'stage'), h('th', { scope: 'col' }, 'in'), h('th', { scope: 'col' }, 'out'), h('th', { scope: 'col' }, 'ms'))),
        h('tbody', {}, ledger.stages.map((s) => h('tr', {}, h('td', {}, s.stage), h('td', {}, s.tokensIn), h('td', {}, s.tokensOut), h('td', {}, s.ms)))),
      ),
    );
  }
  return parts;
}

function unitList(units: UnitView[]): HTMLElement {
  return h(
    'details',
    { class: 'unit-list' },
    h('summary', {}, `Units in reading order (${units.length})`),
    h(
      'ol',
      {},
      units.map((unit) =>
        h(
          'li',
          { class: `kind-${unit.kind ?? 'text'}` },
          h('span', { class: 'kind-tag' }, unit.kind ?? 'text'),
          unit.section.length ? h('span', { class: 'muted' }, ` ${unit.section.join(' › ')} · `) : ' ',
          unit.text.length > 240 ? `${unit.text.slice(0, 240)}…` : unit.text,
        ),
      ),
    ),
  );
}

function figureCard(unit: UnitView): HTMLElement {
  const card = h('figure', { class: 'figure-crop', 'data-figure-id': unit.figureId ?? '' });
  const caption = h('figcaption', {}, unit.caption ?? unit.text ?? `Figure ${unit.figureId}`);
  if (unit.image) {
    const image = h('img', { alt: unit.caption ?? `Figure ${unit.figureId}` });
    card.append(image, caption);
    imageUrl(unit.image).then(
      (url) => {
        image.src = url;
      },
      (error: Error) => image.replaceWith(h('p', { class: 'error' }, error.message)),
    );
  } else {
    card.append(h('p', { class: 'muted' }, 'No crop stored for this figure.'), caption);
  }
  return card;
}

function plainTable(unit: UnitView): HTMLElement {
  return h('div', { class: 'table-scroll' }, h('table', {}, h('tbody', {}, (unit.cells ?? []).map((row) => h('tr', {}, row.map((cell) => h('td', {}, cell)))))));
}

/** The CSV comes through fetch too (it needs the key), then downloads from a blob: URL. */
async function downloadCsv(event: Event, docId: string, tableId: string): Promise<void> {
  event.preventDefault();
  let blob: Blob;
  try {
    blob = await fetchBlob(`/v1/documents/${docId}/tables/${tableId}?format=csv`);
  } catch (error) {
    (event.target as HTMLElement).replaceWith(h('span', { class: 'error' }, `CSV: ${(error as Error).message}`));
    return;
  }
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: `${docId.slice(0, 12)}-table-${tableId}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
