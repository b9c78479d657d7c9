/**
 * Index build time with and without unit embeddings, for documents already ingested into a
 * data folder (e.g. by `npm run eval`): the sparse-only build is the baseline, run in the same
 * process just before the build with the embedder of FOLIO_EMBEDDER_DIR. The embedder build
 * runs last, so the stored index keeps its unit vectors.
 *
 *   FOLIO_EMBEDDER_DIR=<export> npm run bench:index -- <pdf>... [--data-dir DIR]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../lib/config.ts';
import { embedderOf } from '../lib/embed/embedder-of.ts';
import { buildDocumentIndex } from '../lib/retrieval/document-index.ts';
import { openStores } from '../lib/store/open.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let dataDir = path.join('data', 'eval');
  const pdfs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data-dir') dataDir = argv[++i];
    else pdfs.push(argv[i]);
  }
  const embedder = await embedderOf(loadConfig().embedder);
  if (pdfs.length === 0 || !embedder) {
    console.error('usage: FOLIO_EMBEDDER_DIR=<export> npm run bench:index -- <pdf>... [--data-dir DIR]');
    process.exit(2);
  }
  const { store, blobs } = openStores(path.resolve(dataDir));
  console.log(`embedder ${embedder.name} (dimension ${embedder.embedder.dimension})`);
  console.log(`${'document'.padEnd(28)} units    sparse only    with embeddings    ×       units/s embedded`);
  for (const pdf of pdfs) {
    const id = createHash('sha256').update(fs.readFileSync(pdf)).digest('hex');
    if ((await store.getDocument(id))?.status !== 'ready') throw new Error(`${pdf} is not ingested in ${dataDir}`);
    let started = performance.now();
    const { units } = await buildDocumentIndex(store, blobs, id);
    const sparseMs = performance.now() - started;
    started = performance.now();
    await buildDocumentIndex(store, blobs, id, embedder);
    const denseMs = performance.now() - started;
    const embedMs = Math.max(1, denseMs - sparseMs);
    console.log(
      `${path.basename(pdf).padEnd(28)} ${String(units).padEnd(8)} ${(sparseMs / 1000).toFixed(1).padStart(8)} s ${(denseMs / 1000).toFixed(1).padStart(14)} s ${(denseMs / sparseMs).toFixed(1).padStart(8)} ${((units / embedMs) * 1000).toFixed(0).padStart(10)}`,
    );
  }
  await store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
