/**
 * Sanity check of a text-embedder export (FOLIO_EMBEDDER_DIR) through Folio's own loading path:
 * cosine similarities of paraphrase pairs against unrelated pairs, and optionally the token ids
 * and vectors written to a JSON file that scripts/export-bert-onnx.py --compare checks against
 * its numpy forward pass.
 *
 *   npx tsx scripts/check-embedder.ts <export dir> [--dump ids-and-vectors.json]
 */
import fs from 'node:fs';
import { readExportConfig } from '../models/embed/export-config.ts';
import { loadOnnxSentenceEmbedder } from '../models/embed/onnx-embedder.ts';
import { createSequenceEncoder } from '../models/embed/sequence-encoder.ts';
import { cosine } from '../models/math/vector.ts';

// Each pair's first sentence paraphrases its second; pairs are unrelated to one another.
const PAIRS: ReadonlyArray<[string, string]> = [
  ['How do I reset my password?', 'What are the steps to change a forgotten password?'],
  ['The cat is sleeping on the sofa.', 'A kitten naps on the couch.'],
  ['Quarterly revenue rose by twelve percent.', 'Sales in the quarter grew 12%.'],
  ['The function returns the inverse of a matrix.', 'inv(A) computes the matrix inverse of A.'],
  ['Heavy rain is expected tomorrow in the north.', 'Forecasters predict downpours in northern regions tomorrow.'],
];

async function main(): Promise<void> {
  const dir = process.argv[2];
  const dumpAt = process.argv.indexOf('--dump');
  const dump = dumpAt > 0 ? process.argv[dumpAt + 1] : undefined;
  if (!dir) {
    console.error('usage: npx tsx scripts/check-embedder.ts <export dir> [--dump file.json]');
    process.exit(2);
  }
  const embedder = await loadOnnxSentenceEmbedder(dir);
  const texts = PAIRS.flat();
  const vectors = await embedder.embed(texts);
  const row = (i: number) => vectors.subarray(i * embedder.dimension, (i + 1) * embedder.dimension);
  console.log(`${dir}: dimension ${embedder.dimension}, pooling ${embedder.config.pooling.join('+')}, normalise ${embedder.config.normalize}`);
  let worstParaphrase = Number.POSITIVE_INFINITY;
  let bestUnrelated = Number.NEGATIVE_INFINITY;
  PAIRS.forEach(([a], i) => {
    const same = cosine(row(2 * i), row(2 * i + 1));
    worstParaphrase = Math.min(worstParaphrase, same);
    for (let j = 0; j < PAIRS.length; j++) if (j !== i) bestUnrelated = Math.max(bestUnrelated, cosine(row(2 * i), row(2 * j + 1)));
    console.log(`  paraphrase ${same.toFixed(3)}  ${a}`);
  });
  console.log(`  lowest paraphrase similarity ${worstParaphrase.toFixed(3)}, highest unrelated ${bestUnrelated.toFixed(3)}`);
  if (dump) {
    const config = await readExportConfig(dir);
    const encoder = createSequenceEncoder(config.tokenizerJson, config.tokenizerConfig, { maxLength: config.maxLength, lowercaseInput: config.lowercaseInput });
    const ids = texts.map((text) => Array.from(encoder.encode(text).ids, Number));
    const embeddings = texts.map((_, i) => Array.from(row(i)));
    fs.writeFileSync(dump, JSON.stringify({ ids, embeddings }));
    console.log(`  wrote token ids and vectors to ${dump}`);
  }
  await embedder.release();
  if (worstParaphrase <= bestUnrelated) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
