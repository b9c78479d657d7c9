/**
 * The per-document search index, built once by the ingestion workflow and stored as blobs:
 * BM25 over units (the baseline), the expanded inference-free sparse index over units, and a
 * sparse index over whole pages. Its units are the stored content paragraphs and, for each
 * table that carries its rows as data, one unit per row (models/retrieval/row-units.ts),
 * derived again from the paragraphs when the index is loaded. Readers load it lazily and keep
 * a few in an LRU cache.
 */

import type { Paragraph } from '../../models/document/types.ts';
import type { TextEmbedder } from '../../models/embed/text-embedder.ts';
import { type Bm25Index, buildBm25, deserializeBm25 } from '../../models/retrieval/bm25.ts';
import { buildDenseIndex, type DenseIndex, deserializeDense, serializeDense } from '../../models/retrieval/dense.ts';
import { unitPassages } from '../../models/retrieval/passages.ts';
import { type IndexUnit, indexUnits } from '../../models/retrieval/row-units.ts';
import { buildSparseIndex, DEFAULT_EXPANSION, deserializeSparse, type SparseIndex } from '../../models/retrieval/sparse.ts';
import { structureDocument } from '../pdf/text/structure.ts';
import type { BlobStore } from '../store/blobs.ts';
import type { MetadataStore } from '../store/metadata.ts';
import { buildInThread, warmIndexThread } from './index-threads.ts';

export interface DocumentIndex {
  docId: string;
  /** Unit embeddings, when the index was built with a text embedder. */
  dense: DenseIndex | null;
  /** The stored content paragraphs, each table followed by one unit per statement row. */
  units: IndexUnit[];
  bm25: Bm25Index;
  unitSparse: SparseIndex;
  pageSparse: SparseIndex;
  /**
   * The units' passages (models/retrieval/passages.ts) and the unit each comes from; null for an
   * index written before passages were (its questions are answered without that scorer).
   */
  passageSparse: SparseIndex | null;
  unitOfPassage: Int32Array | null;
  /** Page numbers in `pageSparse` order. */
  pages: number[];
  /** For each unit, the index of its page in `pages`. */
  pageIndexOfUnit: Int32Array;
}

interface IndexManifest {
  format: 'folio-document-index/2';
  units: number;
  bm25: string;
  unitSparse: string;
  pageSparse: string;
  /** The passages' sparse index and their units (an Int32Array's bytes); absent in older indexes. */
  passageSparse?: string;
  passageUnits?: string;
  dense?: string;
  pages: number[];
  /** Statement rows are units of their own (absent in indexes built with them switched off). */
  rowUnits?: boolean;
}

export interface IndexBuildOptions {
  /** One unit per statement-table row besides the table's own (default true; off to measure them). */
  rowUnits?: boolean;
}

/** The innermost heading over a unit (a heading's own title is not repeated as its context). */
function sectionTitle(unit: Paragraph): string {
  const path = unit.section ?? [];
  const own = unit.kind === 'heading' ? path.slice(0, -1) : path;
  return own[own.length - 1] ?? '';
}

/**
 * What a unit is found by: its text, and for a table or figure its caption and the sentences
 * that refer to it too (one retrievable unit each).
 */
export function indexedText(unit: Paragraph): string {
  return [unit.caption, unit.text, ...(unit.references ?? [])].filter(Boolean).join('\n');
}

function pageTexts(units: readonly Paragraph[]): { pages: number[]; texts: string[] } {
  const byPage = new Map<number, string[]>();
  for (const unit of units) {
    const list = byPage.get(unit.page);
    if (list) list.push(unit.text);
    else byPage.set(unit.page, [unit.text]);
  }
  const pages = [...byPage.keys()];
  return { pages, texts: pages.map((page) => (byPage.get(page) ?? []).join('\n')) };
}

function pageIndexOf(units: readonly Paragraph[], pages: readonly number[]): Int32Array {
  const position = new Map(pages.map((page, i) => [page, i]));
  return Int32Array.from(units, (unit) => position.get(unit.page) ?? -1);
}

const unitsOf = (paragraphs: readonly Paragraph[], rowUnits: boolean): IndexUnit[] => (rowUnits ? indexUnits(paragraphs) : [...paragraphs]);

/** The lexical parts of an index, built from a document's content paragraphs. */
export function lexicalIndexParts(paragraphs: readonly Paragraph[], rowUnits = true) {
  // Pages are read from the paragraphs alone: a row unit repeats words its table already has.
  const { pages, texts } = pageTexts(paragraphs);
  const units = unitsOf(paragraphs, rowUnits);
  const sparseUnits = units.map((unit) => ({ page: unit.page, text: indexedText(unit), section: sectionTitle(unit) }));
  const { passages, unitOf } = unitPassages(sparseUnits);
  return {
    units,
    pages,
    bm25: buildBm25(units.map(indexedText)),
    unitSparse: buildSparseIndex(sparseUnits),
    // Neighbouring passages overlap already (and mostly belong to one unit): no neighbour expansion.
    passageSparse: buildSparseIndex(passages, { ...DEFAULT_EXPANSION, neighbourWeight: 0 }),
    unitOfPassage: unitOf,
    // Whole pages: their own words only, every term kept.
    pageSparse: buildSparseIndex(
      pages.map((page, i) => ({ page, text: texts[i] })),
      { ...DEFAULT_EXPANSION, neighbourWeight: 0, pageWeight: 0, sectionWeight: 0, maxTermsPerUnit: Number.MAX_SAFE_INTEGER },
    ),
  };
}

/**
 * An index held in memory only, without unit embeddings: for tests and benchmarks that
 * build one from paragraphs they made, with the same parts as a stored index.
 */
export function inMemoryDocumentIndex(docId: string, paragraphs: readonly Paragraph[], options: IndexBuildOptions = {}): DocumentIndex {
  const parts = lexicalIndexParts(paragraphs, options.rowUnits ?? true);
  return { docId, dense: null, ...parts, pageIndexOfUnit: pageIndexOf(parts.units, parts.pages) };
}

/**
 * Runs the document-level structure pass (headers/footers, headings, sections, captions) over
 * the stored paragraphs, then builds every part of the index from the content units and
 * records it on the document.
 */
export async function buildDocumentIndex(
  store: MetadataStore,
  blobs: BlobStore,
  docId: string,
  embedder?: { name: string; embedder: TextEmbedder },
  options: IndexBuildOptions = {},
): Promise<{ units: number; key: string }> {
  // The thread loads its code on the other core while this one reads and structures the paragraphs.
  warmIndexThread();
  const all = await store.paragraphs(docId);
  await store.setStructure(docId, all, structureDocument(all, await store.pageGeometry(docId)));
  const rowUnits = options.rowUnits ?? true;
  const content = await store.paragraphs(docId, { content: true });
  // The lexical parts are built on a thread of their own, off the event loop that carries the
  // activity's heartbeats (a long document's build takes many seconds).
  const parts = await buildInThread({ paragraphs: content, rowUnits });
  const units = unitsOf(content, rowUnits);
  if (parts.units !== units.length) throw new Error(`the index thread counted ${parts.units} units, the paragraphs make ${units.length}`);
  const manifest: IndexManifest = {
    format: 'folio-document-index/2',
    units: units.length,
    bm25: await blobs.put(parts.bm25),
    unitSparse: await blobs.put(parts.unitSparse),
    pageSparse: await blobs.put(parts.pageSparse),
    passageSparse: await blobs.put(parts.passageSparse),
    passageUnits: await blobs.put(parts.passageUnits),
    pages: parts.pages,
    rowUnits,
  };
  if (embedder) {
    // A unit is embedded with its section title, the context a reader would have.
    const texts = units.map((unit) => [sectionTitle(unit), indexedText(unit)].filter(Boolean).join('\n'));
    const vectors = await embedder.embedder.embed(texts);
    manifest.dense = await blobs.put(serializeDense(buildDenseIndex(vectors, embedder.embedder.dimension, embedder.name)));
  }
  const key = await blobs.put(Buffer.from(JSON.stringify(manifest)));
  await store.setIndexKey(docId, key);
  return { units: units.length, key };
}

function readManifest(bytes: Buffer): IndexManifest | null {
  try {
    const manifest = JSON.parse(bytes.toString('utf8')) as IndexManifest;
    return manifest.format === 'folio-document-index/2' ? manifest : null;
  } catch {
    return null;
  }
}

export async function loadDocumentIndex(store: MetadataStore, blobs: BlobStore, docId: string): Promise<DocumentIndex | undefined> {
  const key = await store.indexKeyOf(docId);
  return key ? loadIndexAt(store, blobs, docId, key) : undefined;
}

/** The index whose manifest is the blob `key`. */
async function loadIndexAt(store: MetadataStore, blobs: BlobStore, docId: string, key: string): Promise<DocumentIndex> {
  const manifest = readManifest(await blobs.get(key));
  if (!manifest) {
    throw new Error(`the index of ${docId} was written by an older Folio: rebuild it (re-run its ingestion)`);
  }
  const paragraphs = await store.paragraphs(docId, { content: true });
  const units = manifest.rowUnits === false ? paragraphs : indexUnits(paragraphs);
  if (units.length !== manifest.units) {
    throw new Error(`index of ${docId} covers ${manifest.units} units but the stored paragraphs and their table rows make ${units.length}`);
  }
  return {
    docId,
    units,
    bm25: deserializeBm25(await blobs.get(manifest.bm25)),
    unitSparse: deserializeSparse(await blobs.get(manifest.unitSparse)),
    pageSparse: deserializeSparse(await blobs.get(manifest.pageSparse)),
    ...(await loadPassages(blobs, manifest, units.length)),
    dense: manifest.dense ? deserializeDense(await blobs.get(manifest.dense)) : null,
    pages: manifest.pages,
    pageIndexOfUnit: pageIndexOf(units, manifest.pages),
  };
}

/** The passage index of a manifest, checked against the units it must map to. */
async function loadPassages(blobs: BlobStore, manifest: IndexManifest, unitCount: number): Promise<Pick<DocumentIndex, 'passageSparse' | 'unitOfPassage'>> {
  if (!manifest.passageSparse || !manifest.passageUnits) return { passageSparse: null, unitOfPassage: null };
  const passageSparse = deserializeSparse(await blobs.get(manifest.passageSparse));
  const bytes = await blobs.get(manifest.passageUnits);
  // A copy: the blob's buffer may sit at an offset that is not a multiple of 4.
  const unitOfPassage = new Int32Array(new Uint8Array(bytes).buffer);
  if (unitOfPassage.length !== passageSparse.unitCount || unitOfPassage.some((u) => u < 0 || u >= unitCount)) {
    throw new Error(`the passage index of ${manifest.units} units is damaged: rebuild it (re-run its ingestion)`);
  }
  return { passageSparse, unitOfPassage };
}

/**
 * The indexes last asked for, in memory. Each question checks the document's index key (one
 * small read), so a document re-indexed by any worker is served from its new index at once.
 */
export class DocumentIndexCache {
  private readonly entries = new Map<string, { key: string; index: DocumentIndex }>();

  constructor(
    private readonly store: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly capacity = 8,
  ) {}

  /** The document's index, or undefined when it has none yet. */
  async get(docId: string): Promise<DocumentIndex | undefined> {
    const key = await this.store.indexKeyOf(docId);
    const cached = this.entries.get(docId);
    this.entries.delete(docId);
    if (!key) return undefined;
    if (cached?.key === key) {
      this.entries.set(docId, cached);
      return cached.index;
    }
    const index = await loadIndexAt(this.store, this.blobs, docId, key);
    this.entries.set(docId, { key, index });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return index;
  }
}
