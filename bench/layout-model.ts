/**
 * Does the CDLA layout model (lib/layout/cdla.ts) pay for itself on statement tables?
 *
 * The 12 gold pages of bench/tables-gold.jsonl go through ingestion's page extraction twice in
 * the same run: off (the geometric reading alone, as ingestion runs by default) and on (the
 * model's table regions fused in: a region where the page-wide search found no table is searched
 * again on its own words, lib/pdf/text/statements.ts). Both are scored as bench/tables.ts scores
 * Folio (cell triples: row label, period, value; its functions, imported). Also printed: the
 * model's regions per page by class, and its cost per page (render at the model's scale plus
 * inference, one thread) against the extraction without it, as milliseconds and a ratio.
 *
 *   npm run models:install -- layout-cdla
 *   npm run bench:layout-model [-- --model file.onnx --gold file.jsonl --pdfs dir --json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeLayoutDetector, createLayoutDetector, detectLayout } from '../lib/layout/cdla.ts';
import { extractPage } from '../lib/pages/pipeline.ts';
import { textOnlyPageSettings } from '../lib/pages/settings.ts';
import { openPdf } from '../lib/pdf/open.ts';
import { folioTriples, metrics, pdfDir, readGold, type Score, score, usable } from './tables.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--model');
const modelFile = at >= 0 ? path.resolve(process.argv[at + 1]) : path.join(root, '.models', 'layout', 'layout_cdla.onnx');
const json = process.argv.includes('--json');

interface PageResult {
  doc: string;
  page: number;
  off: Score;
  on: Score;
  regions: Record<string, number>;
  offMs: number;
  renderMs: number;
  inferenceMs: number;
}

async function main(): Promise<void> {
  if (!fs.existsSync(modelFile)) throw new Error(`${modelFile} is not installed: npm run models:install -- layout-cdla`);
  const gold = readGold();
  const pages = [...new Set(gold.map((g) => `${g.doc}\u0000${g.page}`))].map((k) => {
    const [doc, page] = k.split('\u0000');
    return { doc, page: Number(page) };
  });
  const detector = await createLayoutDetector(modelFile);
  const on = { ...textOnlyPageSettings, layout: { model: modelFile } };
  const results: PageResult[] = [];
  try {
    for (const { doc: name, page } of pages) {
      const doc = await openPdf(new Uint8Array(fs.readFileSync(path.join(pdfDir, name))), { maxPages: 100_000 });
      try {
        const expected = gold.filter((g) => g.doc === name && g.page === page);
        const triplesOf = (paragraphs: Awaited<ReturnType<typeof extractPage>>['paragraphs']) => paragraphs.flatMap((p) => (p.table ? folioTriples(p.table) : [])).filter(usable);
        const started = performance.now();
        const off = await extractPage(doc, page, textOnlyPageSettings);
        const offMs = performance.now() - started;
        const fused = await extractPage(doc, page, on);
        if (fused.renderError) throw new Error(`${name} p${page}: ${fused.renderError}`);
        // The model's own cost, measured apart from the extraction it joins.
        const pdfPage = await doc.getPage(page);
        const detected = await detectLayout(detector, doc, pdfPage);
        const regions: Record<string, number> = {};
        for (const r of detected.regions) regions[r.label] = (regions[r.label] ?? 0) + 1;
        results.push({
          doc: name,
          page,
          off: score(expected, triplesOf(off.paragraphs)),
          on: score(expected, triplesOf(fused.paragraphs)),
          regions,
          offMs,
          renderMs: detected.renderMs,
          inferenceMs: detected.inferenceMs,
        });
      } finally {
        await doc.destroy();
      }
    }
  } finally {
    await closeLayoutDetector(detector);
  }

  const f = (n: number) => n.toFixed(3);
  const cols = (s: Score) => {
    const m = metrics(s);
    return `${String(s.found).padStart(5)} ${f(m.precision)} ${f(m.recall)} ${f(m.f1)}`;
  };
  const sum = (tool: 'off' | 'on') => {
    const s = { gold: 0, found: 0, correct: 0 };
    for (const r of results) {
      s.gold += r[tool].gold;
      s.found += r[tool].found;
      s.correct += r[tool].correct;
    }
    return { ...s, ...metrics(s) };
  };
  console.log(`${'page'.padEnd(30)} ${'gold'.padStart(5)} | off: found  P     R     F1   | on: found  P     R     F1   | model ms (render+infer) | regions`);
  for (const r of results) {
    const regions = Object.entries(r.regions)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    console.log(
      `${`${r.doc} p${r.page}`.padEnd(30)} ${String(r.off.gold).padStart(5)} |      ${cols(r.off)} |     ${cols(r.on)} | ${r.renderMs.toFixed(0).padStart(5)} + ${r.inferenceMs.toFixed(0).padStart(4)} | ${regions}`,
    );
  }
  const off = sum('off');
  const onTotal = sum('on');
  const mean = (pick: (r: PageResult) => number) => results.reduce((a, r) => a + pick(r), 0) / results.length;
  const model = mean((r) => r.renderMs + r.inferenceMs);
  const plain = mean((r) => r.offMs);
  console.log(`${'overall'.padEnd(30)} ${String(off.gold).padStart(5)} |      ${cols({ ...off, missed: [], spurious: [] })} |     ${cols({ ...onTotal, missed: [], spurious: [] })}`);
  console.log(`F1 on / off: ${f(onTotal.f1 / off.f1)} (precision ${f(onTotal.precision)} vs ${f(off.precision)}, recall ${f(onTotal.recall)} vs ${f(off.recall)})`);
  console.log(
    `model cost per page: ${model.toFixed(0)} ms (render ${mean((r) => r.renderMs).toFixed(0)} + inference ${mean((r) => r.inferenceMs).toFixed(0)}); extraction without it ${plain.toFixed(0)} ms; ratio (extraction + model) / extraction ${f((plain + model) / plain)}`,
  );
  if (json) {
    const strip = ({ gold, found, correct, precision, recall, f1 }: ReturnType<typeof sum>) => ({ gold, found, correct, precision, recall, f1 });
    console.log(JSON.stringify({ pages: results.length, off: strip(off), on: strip(onTotal), modelMsPerPage: model, extractionMsPerPage: plain }));
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
