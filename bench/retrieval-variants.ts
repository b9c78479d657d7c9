/**
 * Retrieval options measured side by side on a question set, against the shipped default in
 * the same run: pseudo-relevance feedback (models/retrieval/feedback.ts), MMR among the
 * sampler's hits (models/retrieval/diversity.ts, by word overlap or by unit embeddings) and
 * fusion weights for the dense scorer. Prints evidence-page recall@1/3/5, answer token F1 of
 * the extractive reader and median retrieval+sampling time per variant, with differences from
 * the default.
 *
 * Reuses the documents and indexes `npm run eval` stored in the data folder (run it first, with
 * the same FOLIO_EMBEDDER_DIR, so the indexes are this code's): nothing is ingested or rebuilt.
 *
 *   npm run bench:retrieval -- <questions.jsonl> <pdf folder> [--data-dir DIR]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readEvidenceExtractively } from '../lib/answer/extractive.ts';
import { loadConfig } from '../lib/config.ts';
import { embedderOf } from '../lib/embed/embedder-of.ts';
import { distinctPages, mean, median, pageRecallAtK, tokenF1 } from '../lib/eval/metrics.ts';
import { readQuestionFile } from '../lib/eval/questions.ts';
import { type DocumentIndex, DocumentIndexCache } from '../lib/retrieval/document-index.ts';
import { type Evidence, gatherEvidence } from '../lib/retrieval/evidence.ts';
import { DEFAULT_RETRIEVE, DEFAULT_SCORERS, type RetrieveOptions, type ScorerName } from '../lib/retrieval/retrieve.ts';
import { openStores } from '../lib/store/open.ts';
import { DEFAULT_FEEDBACK } from '../models/retrieval/feedback.ts';
import { DEFAULT_SAMPLER, type SamplerOptions } from '../models/retrieval/sampler.ts';

interface Variant {
  name: string;
  scorers?: readonly ScorerName[];
  retrieve?: RetrieveOptions;
  sampler?: SamplerOptions;
  /** MMR compares units by their embeddings instead of their words. */
  denseDiversity?: boolean;
  needsDense?: boolean;
}

/** Dense fused over every unit at a full vote: Folio's dense default before denseWithin. */
const ALL_UNITS: RetrieveOptions = {};

const VARIANTS: Variant[] = [
  { name: 'default' },
  { name: 'no dense scorer', scorers: DEFAULT_SCORERS.filter((s) => s !== 'dense'), needsDense: true },
  { name: 'dense all units, weight 1', retrieve: ALL_UNITS, needsDense: true },
  { name: 'dense all units, weight 0.5', retrieve: { ...ALL_UNITS, weights: { dense: 0.5 } }, needsDense: true },
  { name: 'dense all units, weight 2', retrieve: { ...ALL_UNITS, weights: { dense: 2 } }, needsDense: true },
  { name: 'dense within 100, weight 1', retrieve: { ...ALL_UNITS, denseWithin: 100 }, needsDense: true },
  { name: 'dense within 50, weight 0.5', retrieve: { denseWithin: 50, weights: { dense: 0.5 } }, needsDense: true },
  { name: 'dense within 200, weight 0.5', retrieve: { denseWithin: 200, weights: { dense: 0.5 } }, needsDense: true },
  { name: 'feedback (default params)', retrieve: { ...DEFAULT_RETRIEVE, feedback: DEFAULT_FEEDBACK } },
  { name: 'feedback weight 0.15', retrieve: { ...DEFAULT_RETRIEVE, feedback: { ...DEFAULT_FEEDBACK, weight: 0.15 } } },
  { name: 'feedback weight 0.5', retrieve: { ...DEFAULT_RETRIEVE, feedback: { ...DEFAULT_FEEDBACK, weight: 0.5 } } },
  { name: 'feedback 10 units, 3 shared', retrieve: { ...DEFAULT_RETRIEVE, feedback: { ...DEFAULT_FEEDBACK, units: 10, minUnits: 3 } } },
  { name: 'MMR words δ=0.2', sampler: { ...DEFAULT_SAMPLER, diversity: 0.2 } },
  { name: 'MMR words δ=0.4', sampler: { ...DEFAULT_SAMPLER, diversity: 0.4 } },
  { name: 'MMR dense δ=0.2', sampler: { ...DEFAULT_SAMPLER, diversity: 0.2 }, denseDiversity: true, needsDense: true },
  { name: 'MMR dense δ=0.4', sampler: { ...DEFAULT_SAMPLER, diversity: 0.4 }, denseDiversity: true, needsDense: true },
];

/** The shipped evidence path (gatherEvidence) with the variant's retrieval and sampler options. */
function evidenceOf(index: DocumentIndex, question: string, variant: Variant, queryVector: Float32Array | undefined): { evidence: Evidence; pageRanking: number[] } {
  const evidence = gatherEvidence(index, question, {
    scorers: variant.scorers,
    retrieval: variant.retrieve,
    sampler: variant.sampler,
    denseDiversity: variant.denseDiversity,
    queryVector,
  });
  return { evidence, pageRanking: evidence.ledger.retrieval.pageRanking };
}

function parseArgs(argv: string[]) {
  const positional: string[] = [];
  let dataDir = path.join('data', 'eval');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data-dir') dataDir = argv[++i];
    else positional.push(argv[i]);
  }
  if (positional.length !== 2) {
    console.error('usage: npm run bench:retrieval -- <questions.jsonl> <pdf folder> [--data-dir DIR]');
    process.exit(2);
  }
  return { questionsFile: positional[0], pdfDir: positional[1], dataDir };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const questions = readQuestionFile(args.questionsFile);
  const stores = openStores(path.resolve(args.dataDir));
  const indexes = new DocumentIndexCache(stores.store, stores.blobs, 16);
  const idOf = new Map<string, string>();
  for (const doc of new Set(questions.map((q) => q.doc))) {
    idOf.set(doc, createHash('sha256').update(fs.readFileSync(path.join(args.pdfDir, doc))).digest('hex'));
  }
  // Loaded once up front: the variants below run synchronously over them.
  const loaded = new Map<string, DocumentIndex | undefined>();
  for (const [doc, id] of idOf) loaded.set(doc, await indexes.get(id));
  const indexFor = (doc: string) => {
    const index = loaded.get(doc);
    if (!index) throw new Error(`${doc} has no index in ${args.dataDir}: run npm run eval with this data dir first`);
    return index;
  };
  const embedder = await embedderOf(loadConfig().embedder);
  const withDense = questions.every((q) => indexFor(q.doc).dense);
  if (embedder && !withDense) throw new Error('FOLIO_EMBEDDER_DIR is set but the stored indexes have no unit embeddings: run npm run eval with it first');
  const vectors = new Map<string, Float32Array | undefined>();
  for (const q of questions) {
    const index = indexFor(q.doc);
    if (embedder && index.dense && index.dense.model !== embedder.name) throw new Error(`${q.doc}'s vectors are by ${index.dense.model}, not ${embedder.name}`);
    vectors.set(q.id, embedder && index.dense ? await embedder.embedder.embed([q.question]) : undefined);
  }

  const variants = VARIANTS.filter((v) => !v.needsDense || (embedder && withDense));
  const rows: { name: string; r1: number; r3: number; r5: number; f1: number; ms: number }[] = [];
  for (const variant of variants) {
    const r: number[][] = [[], [], []];
    const f1: number[] = [];
    const ms: number[] = [];
    for (const q of questions) {
      const index = indexFor(q.doc);
      const { evidence, pageRanking } = evidenceOf(index, q.question, variant, vectors.get(q.id));
      const answer = readEvidenceExtractively(evidence);
      ms.push(evidence.ms.retrieve + evidence.ms.sample);
      if (q.answer === null) continue;
      const ranking = distinctPages(pageRanking);
      [1, 3, 5].forEach((k, i) => {
        r[i].push(pageRecallAtK(ranking, q.evidence_pages, k));
      });
      f1.push(tokenF1(answer.answer, q.answer));
    }
    rows.push({ name: variant.name, r1: mean(r[0]), r3: mean(r[1]), r5: mean(r[2]), f1: mean(f1), ms: median(ms) });
  }

  const base = rows[0];
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  console.log(`${path.basename(args.questionsFile)}: ${questions.length} questions; dense ${embedder && withDense ? `on (${embedder.name})` : 'off'}`);
  console.log(`${'variant'.padEnd(30)} recall@1       recall@3       recall@5       answer F1      retrieve+sample ms (median)`);
  for (const row of rows) {
    const cell = (value: number, baseValue: number) => `${value.toFixed(3)} ${row === base ? '      ' : signed(value - baseValue)}`.padEnd(15);
    console.log(`${row.name.padEnd(30)} ${cell(row.r1, base.r1)}${cell(row.r3, base.r3)}${cell(row.r5, base.r5)}${cell(row.f1, base.f1)}${row.ms.toFixed(2)} (×${(row.ms / base.ms).toFixed(2)})`);
  }
  await stores.store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
