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
 *                    [--no-row-units] [--no-concepts] [--no-passages] [--no-shape]
 *
 * `--no-row-units` builds the indexes without a unit per statement row, `--no-concepts` answers
 * without the financial concept expansion of the query, `--no-passages` without the passage scorer
 * (each unit ranked by its best window of sentences), `--no-shape` without the answer-shape
 * scorer (models/answer/shape.ts): each measures what that part adds.
 *
 * `--reader extractive|generator|judge` (default extractive) picks who answers: the rules alone;
 * the LLM writing the answer (`--prompt base|plain|chat`, default base; `--max-new-tokens`,
 * default 48); or the LLM judging the extractive reader's candidates (lib/answer/judge.ts), whose
 * run also reports the F1 each normalisation would have given and the best candidate's (oracle).
 * The model is `--model PATH`, else FOLIO_LLM_FILE / FOLIO_LLM_DIR, else the installed
 * .models/gemma-3-270m/gemma-3-270m-q4_k_m.gguf.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { answerQuestion } from '../lib/answer/extractive.ts';
import { JudgeReader, judgedAnswer } from '../lib/answer/judge.ts';
import { LlmReader } from '../lib/answer/llm.ts';
import { LLM_PROMPT_STYLES, type LlmPromptStyle } from '../lib/answer/reader-settings.ts';
import type { Answer } from '../lib/answer/types.ts';
import { gatherEvidence } from '../lib/retrieval/evidence.ts';
import { DEFAULT_JUDGE, JUDGE_NORMALISATIONS, type JudgeNormalisation } from '../models/answer/judge.ts';
import { stripCitations } from '../models/answer/llm-prompt.ts';
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
    if (arg === '--json' || arg === '--no-row-units' || arg === '--no-concepts' || arg === '--no-passages' || arg === '--no-shape') options[arg.replace(/^--/, '')] = true;
    else if (['--out', '--data-dir', '--reader', '--model', '--prompt', '--max-new-tokens', '--normalisation', '--candidates', '--limit'].includes(arg)) options[arg.slice(2)] = argv[++i];
    else positional.push(arg);
  }
  const reader = (options.reader as string | undefined) ?? 'extractive';
  const prompt = (options.prompt as string | undefined) ?? 'base';
  const normalisation = (options.normalisation as string | undefined) ?? DEFAULT_JUDGE.normalisation;
  if (positional.length !== 2 || !EVAL_READERS.includes(reader as EvalReader) || !LLM_PROMPT_STYLES.includes(prompt as LlmPromptStyle) || !JUDGE_NORMALISATIONS.includes(normalisation as JudgeNormalisation)) {
    console.error(
      'usage: npm run eval -- <questions.jsonl> <pdf folder> [--out results.jsonl] [--json] [--data-dir DIR] [--no-row-units] [--no-concepts] [--no-passages] [--no-shape]\n' +
        `         [--reader ${EVAL_READERS.join('|')}] [--model PATH] [--prompt ${LLM_PROMPT_STYLES.join('|')}] [--max-new-tokens N]\n` +
        `         [--normalisation ${JUDGE_NORMALISATIONS.join('|')}] [--candidates N] [--limit N questions]`,
    );
    process.exit(2);
  }
  return {
    questionsFile: positional[0],
    pdfDir: positional[1],
    out: options.out as string | undefined,
    json: Boolean(options.json),
    dataDir: (options['data-dir'] as string | undefined) ?? path.join('data', 'eval'),
    rowUnits: !options['no-row-units'],
    concepts: !options['no-concepts'],
    passages: !options['no-passages'],
    shape: !options['no-shape'],
    reader: reader as EvalReader,
    model: options.model as string | undefined,
    prompt: prompt as LlmPromptStyle,
    maxNewTokens: Number(options['max-new-tokens'] ?? 48),
    normalisation: normalisation as JudgeNormalisation,
    candidates: Number(options.candidates ?? DEFAULT_JUDGE.candidates),
    limit: options.limit === undefined ? Number.POSITIVE_INFINITY : Number(options.limit),
  };
}

const EVAL_READERS = ['extractive', 'generator', 'judge'] as const;
type EvalReader = (typeof EVAL_READERS)[number];
const INSTALLED_MODEL = path.join('.models', 'gemma-3-270m', 'gemma-3-270m-q4_k_m.gguf');

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
  const questions = readQuestionFile(args.questionsFile).slice(0, args.limit);
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

  const config = loadConfig();
  let llm: LlmReader | null = null;
  let judge: JudgeReader | null = null;
  if (args.reader !== 'extractive') {
    const dir = path.resolve(args.model ?? config.llm.dir ?? INSTALLED_MODEL);
    llm = new LlmReader({ ...config.llm, dir, prompt: args.prompt, maxNewTokens: args.maxNewTokens });
    const loadStarted = performance.now();
    await llm.load();
    console.error(`loaded ${dir} in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s; reader ${args.reader}${args.reader === 'generator' ? ` (prompt ${args.prompt}, at most ${args.maxNewTokens} new tokens, policy ${config.llm.policy})` : ` (${args.candidates} candidates, normalisation ${args.normalisation})`}`);
    if (args.reader === 'judge') judge = new JudgeReader(llm, { candidates: args.candidates, normalisation: args.normalisation });
  }

  const rows: EvalRow[] = [];
  for (const [n, q] of questions.entries()) {
    const index = await indexes.get(ids.get(q.doc) as string);
    if (!index) throw new Error(`${q.doc} has no index`);
    const started = performance.now();
    const queryVector = embedder && index.dense ? await embedder.embedder.embed([q.question]) : undefined;
    const evidenceOptions = {
      queryVector,
      retrieval: args.concepts ? DEFAULT_RETRIEVE : { ...DEFAULT_RETRIEVE, conceptWeight: 0 },
      scorers: DEFAULT_SCORERS.filter((name) => (name !== 'passages' || args.passages) && (name !== 'shape' || args.shape)),
    };
    let answer: Answer;
    // Judge only: the F1 each normalisation would give on this question, and the best candidate's.
    let judgeF1: Record<string, number> | null = null;
    let judgeCandidates = 0;
    if (judge) {
      const run = await judge.run(gatherEvidence(index, q.question, evidenceOptions), { unconditioned: true });
      answer = judgedAnswer(run, args.normalisation, judge.name);
      judgeCandidates = run.scored ? run.candidates.length : 0;
      if (q.answer !== null) {
        const gold = q.answer;
        judgeF1 = Object.fromEntries(JUDGE_NORMALISATIONS.map((norm) => [norm, tokenF1(judgedAnswer(run, norm, judge.name).answer, gold)]));
        judgeF1.oracle = run.scored ? Math.max(...run.candidates.map((c) => tokenF1(c.answer, gold))) : judgeF1[args.normalisation];
      }
    } else if (llm) {
      answer = await llm.answer(gatherEvidence(index, q.question, evidenceOptions));
    } else {
      answer = answerQuestion(index, q.question, evidenceOptions);
    }
    const latencyMs = performance.now() - started;
    if (llm) console.error(`  ${n + 1}/${questions.length} ${latencyMs.toFixed(0)} ms: ${JSON.stringify(answer.answer.slice(0, 80))}${answer.llm ? ` (model wrote ${JSON.stringify(answer.llm.text.slice(0, 60))}; extractive stood in)` : ''}`);
    // What the model wrote, even where it cited nothing and the extractive answer stood in.
    const written = answer.llm ? stripCitations(answer.llm.text) : answer.answer;
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
      written_f1: answerable && args.reader === 'generator' ? tokenF1(written, q.answer as string) : null,
      model_answer_used: args.reader === 'generator' ? answer.ledger.reader.kind === 'llm' : null,
      judge_f1: judgeF1,
      judge_candidates: judgeCandidates,
      judge_changed: judge ? (answer.ledger.reader.kind === 'extractive' && (answer.ledger.reader.judge?.chosen ?? 0) > 0) : null,
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
    mean_latency_ms: Number(mean(rows.map((row) => row.latency_ms)).toFixed(2)),
    reader: args.reader,
    ...(args.reader === 'generator'
      ? { written_f1: avg('written_f1'), model_answers_used: rows.filter((row) => row.model_answer_used).length }
      : {}),
    ...(args.reader === 'judge'
      ? {
          normalisation: args.normalisation,
          judge_f1: Object.fromEntries([...JUDGE_NORMALISATIONS, 'oracle'].map((norm) => [norm, Number(mean(answerable.map((row) => (row.judge_f1 as Record<string, number>)[norm])).toFixed(3))])),
          judged_questions: rows.filter((row) => (row.judge_candidates as number) > 1).length,
          judge_changed: rows.filter((row) => row.judge_changed).length,
        }
      : {}),
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
  console.log(`  median answer latency: ${summary.median_latency_ms} ms, mean ${summary.mean_latency_ms} ms (index loaded once per document, at most ${summary.max_index_load_ms} ms)`);
  if ('written_f1' in summary) console.log(`  generator: answer F1 of what the model wrote ${summary.written_f1}; its answer used (it cited a page it was given) on ${summary.model_answers_used}/${rows.length} questions`);
  if ('judge_f1' in summary) {
    const f1s = Object.entries(summary.judge_f1 as Record<string, number>).map(([norm, f1]) => `${norm} ${f1}`).join(', ');
    console.log(`  judge: ${summary.judged_questions} questions with 2+ candidates, answer changed on ${summary.judge_changed} (${summary.normalisation}); F1 by normalisation: ${f1s}`);
  }
  if (args.json) console.log(JSON.stringify(summary));
  await llm?.release();
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
