/**
 * Evaluation harness: ingests the PDFs a question set names (or reuses them from the data
 * folder), answers every question, and prints per set: evidence-page recall@1/3/5, answer token
 * F1 on answerable questions, precision/recall of "not found" on unanswerable ones, median answer
 * latency, and, computed in the same run, recall@k of plain BM25 over whole pages. Questions
 * whose gold answer is one number ("$10,495", "37.8%") are also graded numerically (within
 * the question's stated rounding, else 1%), and every measure is broken down by question type
 * (`question_type`, else `kind`).
 *
 *   npm run eval -- <questions.jsonl> <pdf folder> [--out results.jsonl] [--json] [--data-dir DIR]
 *                    [--no-row-units] [--no-concepts] [--no-passages]
 *
 * `--no-row-units` builds the indexes without a unit per statement row, `--no-concepts` answers
 * without the financial concept expansion of the query, `--no-passages` without the passage scorer
 * (each unit ranked by its best window of sentences): each measures what that part adds.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { answerQuestion } from '../lib/answer/extractive.ts';
import { loadConfig } from '../lib/config.ts';
import { embedderOf } from '../lib/embed/embedder-of.ts';
import { distinctPages, gradeNumeric, mean, median, pageHitAtK, pageRecallAtK, tokenF1 } from '../lib/eval/metrics.ts';
import { questionType, readQuestionFile } from '../lib/eval/questions.ts';
import { buildDocumentIndex, DocumentIndexCache } from '../lib/retrieval/document-index.ts';
import { DEFAULT_RETRIEVE, DEFAULT_SCORERS } from '../lib/retrieval/retrieve.ts';
import { openStores } from '../lib/store/open.ts';
import { buildBm25, scoreBm25, topK } from '../models/retrieval/bm25.ts';
import { queryTerms } from '../models/text/tokenize.ts';
import { startStack, uploadPdf, waitForDocument } from '../test/helpers/stack.ts';

function parseArgs(argv: string[]) {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json' || arg === '--no-row-units' || arg === '--no-concepts' || arg === '--no-passages') options[arg.replace(/^--/, '')] = true;
    else if (arg === '--out' || arg === '--data-dir') options[arg.slice(2)] = argv[++i];
    else positional.push(arg);
  }
  if (positional.length !== 2) {
    console.error('usage: npm run eval -- <questions.jsonl> <pdf folder> [--out results.jsonl] [--json] [--data-dir DIR] [--no-row-units] [--no-concepts] [--no-passages]');
    process.exit(2);
  }
  return { questionsFile: positional[0], pdfDir: positional[1], out: options.out as string | undefined, json: Boolean(options.json), dataDir: (options['data-dir'] as string | undefined) ?? path.join('data', 'eval'), rowUnits: !options['no-row-units'], concepts: !options['no-concepts'], passages: !options['no-passages'] };
}

async function ingestAll(pdfDir: string, docs: string[], dataDir: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const { store } = openStores(dataDir);
  const pending: string[] = [];
  for (const doc of docs) {
    const id = createHash('sha256').update(fs.readFileSync(path.join(pdfDir, doc))).digest('hex');
    ids.set(doc, id);
    if ((await store.getDocument(id))?.status !== 'ready') pending.push(doc);
  }
  await store.close();
  if (pending.length === 0) return ids;
  console.error(`ingesting ${pending.length} document(s) into ${dataDir} …`);
  const stack = await startStack({ FOLIO_LOG_LEVEL: 'warn' }, { dataDir });
  try {
    for (const doc of pending) {
      const started = performance.now();
      const { body } = await uploadPdf(stack.api.url, fs.readFileSync(path.join(pdfDir, doc)));
      const result = await waitForDocument(stack.api.url, body.id, 3_600_000);
      console.error(`  ${doc}: ${result.status} (${result.pages.total} pages, ${((performance.now() - started) / 1000).toFixed(1)} s)${result.failureReason ? ` ${result.failureReason}` : ''}`);
    }
  } finally {
    await stack.stop();
  }
  return ids;
}

interface EvalRow {
  answerable: boolean;
  found: boolean;
  latency_ms: number;
  [metric: string]: unknown;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const questions = readQuestionFile(args.questionsFile);
  const docs = [...new Set(questions.map((q) => q.doc))];
  const ids = await ingestAll(args.pdfDir, docs, args.dataDir);

  const stores = openStores(path.resolve(args.dataDir));
  // Rebuild the indexes so the run measures this code's retrieval, not a stored older build.
  const loadMs: number[] = [];
  const embedder = await embedderOf(loadConfig().embedder);
  for (const doc of docs) {
    await buildDocumentIndex(stores.store, stores.blobs, ids.get(doc) as string, embedder ?? undefined, { rowUnits: args.rowUnits });
  }
  const indexes = new DocumentIndexCache(stores.store, stores.blobs, docs.length);
  for (const doc of docs) {
    const started = performance.now();
    await indexes.get(ids.get(doc) as string);
    loadMs.push(performance.now() - started);
  }
  // Baseline: BM25 over whole pages (all of a page's text as one unit).
  const pageBaselines = new Map<string, { pages: number[]; index: ReturnType<typeof buildBm25> }>();
  for (const doc of docs) {
    const byPage = new Map<number, string[]>();
    for (const unit of await stores.store.paragraphs(ids.get(doc) as string)) {
      const list = byPage.get(unit.page) ?? [];
      list.push(unit.text);
      byPage.set(unit.page, list);
    }
    const pages = [...byPage.keys()];
    pageBaselines.set(doc, { pages, index: buildBm25(pages.map((page) => (byPage.get(page) ?? []).join('\n'))) });
  }

  const rows: EvalRow[] = [];
  for (const q of questions) {
    const index = await indexes.get(ids.get(q.doc) as string);
    if (!index) throw new Error(`${q.doc} has no index`);
    const started = performance.now();
    const queryVector = embedder && index.dense ? await embedder.embedder.embed([q.question]) : undefined;
    const answer = answerQuestion(index, q.question, {
      queryVector,
      retrieval: args.concepts ? DEFAULT_RETRIEVE : { ...DEFAULT_RETRIEVE, conceptWeight: 0 },
      scorers: args.passages ? DEFAULT_SCORERS : DEFAULT_SCORERS.filter((name) => name !== 'passages'),
    });
    const latencyMs = performance.now() - started;
    const ranking = distinctPages(answer.ledger.retrieval.pageRanking);
    // What a reader of the answer sees first: the pages it cites, then the retrieval ranking.
    const citedFirst = distinctPages([...answer.citations.map((c) => c.page), ...ranking]);
    const baseline = pageBaselines.get(q.doc) as { pages: number[]; index: ReturnType<typeof buildBm25> };
    const baselineRanking = topK(scoreBm25(baseline.index, queryTerms(q.question)), 10).map((i) => baseline.pages[i]);
    const answerable = q.answer !== null;
    const numeric = gradeNumeric(answer.answer, q.answer, q.question, answer.found);
    rows.push({
      id: q.id,
      doc: q.doc,
      kind: q.kind,
      type: questionType(q),
      answerable,
      found: answer.found,
      answer: answer.answer,
      reference: q.answer,
      f1: answerable ? tokenF1(answer.answer, q.answer as string) : null,
      numeric: numeric.numeric,
      numeric_correct: numeric.numeric ? numeric.correct : null,
      predicted_value: numeric.predicted,
      evidence_pages: q.evidence_pages,
      ranked_pages: ranking,
      cited_pages: answer.citations.map((c) => c.page),
      'recall@1': answerable ? pageRecallAtK(ranking, q.evidence_pages, 1) : null,
      'recall@3': answerable ? pageRecallAtK(ranking, q.evidence_pages, 3) : null,
      'recall@5': answerable ? pageRecallAtK(ranking, q.evidence_pages, 5) : null,
      'hit@1': answerable ? pageHitAtK(ranking, q.evidence_pages, 1) : null,
      'hit@3': answerable ? pageHitAtK(ranking, q.evidence_pages, 3) : null,
      'hit@5': answerable ? pageHitAtK(ranking, q.evidence_pages, 5) : null,
      'bm25_pages_hit@1': answerable ? pageHitAtK(baselineRanking, q.evidence_pages, 1) : null,
      'bm25_pages_hit@5': answerable ? pageHitAtK(baselineRanking, q.evidence_pages, 5) : null,
      recall_ceiling_at_1: answerable ? 1 / q.evidence_pages.length : null,
      'cited_recall@1': answerable ? pageRecallAtK(citedFirst, q.evidence_pages, 1) : null,
      'cited_recall@5': answerable ? pageRecallAtK(citedFirst, q.evidence_pages, 5) : null,
      'bm25_pages_recall@1': answerable ? pageRecallAtK(baselineRanking, q.evidence_pages, 1) : null,
      'bm25_pages_recall@3': answerable ? pageRecallAtK(baselineRanking, q.evidence_pages, 3) : null,
      'bm25_pages_recall@5': answerable ? pageRecallAtK(baselineRanking, q.evidence_pages, 5) : null,
      latency_ms: Number(latencyMs.toFixed(2)),
    });
  }
  if (args.out) fs.writeFileSync(args.out, `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);

  const answerable = rows.filter((row) => row.answerable);
  const numericRows = rows.filter((row) => row.numeric);
  const numericCorrect = numericRows.filter((row) => row.numeric_correct).length;
  const unanswerable = rows.filter((row) => !row.answerable);
  const saidNotFound = rows.filter((row) => !row.found);
  const avg = (key: string) => Number(mean(answerable.map((row) => row[key] as number)).toFixed(3));
  const truePositives = saidNotFound.filter((row) => !row.answerable).length;
  const summary = {
    questions: rows.length,
    answerable: answerable.length,
    unanswerable: unanswerable.length,
    'recall@1': avg('recall@1'),
    'recall@3': avg('recall@3'),
    'recall@5': avg('recall@5'),
    answer_f1: avg('f1'),
    numeric_questions: numericRows.length,
    numeric_correct: numericCorrect,
    numeric_accuracy: numericRows.length ? Number((numericCorrect / numericRows.length).toFixed(3)) : null,
    by_type: byType(rows),
    unanswerable_precision: saidNotFound.length ? Number((truePositives / saidNotFound.length).toFixed(3)) : null,
    unanswerable_recall: unanswerable.length ? Number((truePositives / unanswerable.length).toFixed(3)) : null,
    answerable_said_not_found: saidNotFound.length - truePositives,
    median_latency_ms: Number(median(rows.map((row) => row.latency_ms)).toFixed(2)),
    max_index_load_ms: Number(Math.max(...loadMs).toFixed(1)),
    'cited_recall@1': avg('cited_recall@1'),
    'cited_recall@5': avg('cited_recall@5'),
    'bm25_pages_recall@1': avg('bm25_pages_recall@1'),
    'bm25_pages_recall@3': avg('bm25_pages_recall@3'),
    'bm25_pages_recall@5': avg('bm25_pages_recall@5'),
    'hit@1': avg('hit@1'),
    'hit@3': avg('hit@3'),
    'hit@5': avg('hit@5'),
    'bm25_pages_hit@1': avg('bm25_pages_hit@1'),
    'bm25_pages_hit@5': avg('bm25_pages_hit@5'),
    recall_ceiling_at_1: avg('recall_ceiling_at_1'),
  };

  console.log(`${path.basename(args.questionsFile)}: ${rows.length} questions over ${docs.length} documents`);
  console.log('                 recall@1  recall@3  recall@5');
  console.log(`  folio          ${summary['recall@1'].toFixed(3)}     ${summary['recall@3'].toFixed(3)}     ${summary['recall@5'].toFixed(3)}`);
  console.log(`  cited first    ${summary['cited_recall@1'].toFixed(3)}     —         ${summary['cited_recall@5'].toFixed(3)}   (the answer's cited pages, then the ranking)`);
  console.log(`  bm25 pages     ${summary['bm25_pages_recall@1'].toFixed(3)}     ${summary['bm25_pages_recall@3'].toFixed(3)}     ${summary['bm25_pages_recall@5'].toFixed(3)}`);
  console.log(`  (recall@k counts every evidence page; with several per question its ceiling at k=1 is ${summary.recall_ceiling_at_1.toFixed(3)})`);
  console.log('                 hit@1     hit@3     hit@5   (any evidence page in the first k)');
  console.log(`  folio          ${summary['hit@1'].toFixed(3)}     ${summary['hit@3'].toFixed(3)}     ${summary['hit@5'].toFixed(3)}`);
  console.log(`  bm25 pages     ${summary['bm25_pages_hit@1'].toFixed(3)}     —         ${summary['bm25_pages_hit@5'].toFixed(3)}`);
  console.log(`  answer token F1 (answerable): ${summary.answer_f1}`);
  if (numericRows.length) console.log(`  numeric accuracy: ${summary.numeric_accuracy} (${numericCorrect}/${numericRows.length} questions with a numeric gold answer)`);
  const types = Object.entries(summary.by_type);
  if (types.length > 1) {
    console.log('  by type          n   recall@1  recall@5  answer F1  numeric     not found');
    for (const [type, t] of types) {
      const cell = (value: number | null) => (value === null ? '—' : value.toFixed(3)).padEnd(10);
      const numericCell = t.numeric ? `${t.numericCorrect}/${t.numeric}` : '—';
      console.log(`    ${type.padEnd(14)} ${String(t.n).padEnd(3)} ${cell(t['recall@1'])}${cell(t['recall@5'])}${cell(t.f1)} ${numericCell.padEnd(11)} ${t.notFound}/${t.n}`);
    }
  }
  console.log(`  "not found": precision ${summary.unanswerable_precision}, recall ${summary.unanswerable_recall} (${truePositives}/${unanswerable.length} unanswerable detected, ${summary.answerable_said_not_found} answerable lost)`);
  console.log(`  median answer latency: ${summary.median_latency_ms} ms (index loaded once per document, at most ${summary.max_index_load_ms} ms)`);
  if (args.json) console.log(JSON.stringify(summary));
  await stores.store.close();
}

interface TypeSummary {
  n: number;
  'recall@1': number | null;
  'recall@5': number | null;
  f1: number | null;
  numeric: number;
  numericCorrect: number;
  notFound: number;
}

/** Every measure per question type, in first-seen order. */
function byType(rows: readonly EvalRow[]): Record<string, TypeSummary> {
  const groups = new Map<string, EvalRow[]>();
  for (const row of rows) {
    const type = String(row.type);
    groups.set(type, [...(groups.get(type) ?? []), row]);
  }
  const averaged = (group: readonly EvalRow[], key: string) => {
    const values = group.filter((row) => row.answerable).map((row) => row[key] as number);
    return values.length ? Number(mean(values).toFixed(3)) : null;
  };
  const out: Record<string, TypeSummary> = {};
  for (const [type, group] of groups) {
    out[type] = {
      n: group.length,
      'recall@1': averaged(group, 'recall@1'),
      'recall@5': averaged(group, 'recall@5'),
      f1: averaged(group, 'f1'),
      numeric: group.filter((row) => row.numeric).length,
      numericCorrect: group.filter((row) => row.numeric_correct).length,
      notFound: group.filter((row) => !row.found).length,
    };
  }
  return out;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
