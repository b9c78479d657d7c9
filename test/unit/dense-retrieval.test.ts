/**
 * Dense scoring end to end through the document index: unit embeddings from a tiny generated
 * ONNX sentence embedder are built with the index (real SQLite file, real blob store) and
 * ranked by cosine with the question's embedding.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadOnnxSentenceEmbedder } from '../../models/embed/onnx-embedder.ts';
import { buildDenseIndex, deserializeDense, scoreDense, serializeDense } from '../../models/retrieval/dense.ts';
import { buildDocumentIndex, loadDocumentIndex } from '../../lib/retrieval/document-index.ts';
import { retrieve } from '../../lib/retrieval/retrieve.ts';
import { FolderBlobStore } from '../../lib/store/blobs.ts';
import { SqliteMetadataStore } from '../../lib/store/metadata.ts';
import { TINY_VOCAB, writeTinyEmbedder } from '../helpers/tiny-embedder.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-dense-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('dense scoring', () => {
  it('scores cosine similarity over normalised rows and survives serialisation', () => {
    const index = buildDenseIndex(Float32Array.from([3, 4, 0, 0, 0, 2, -1, 0, 0]), 3, 'm');
    const scores = scoreDense(index, Float32Array.from([0, 1, 0]));
    assert.ok(Math.abs(scores[0] - 0.8) < 1e-6);
    assert.equal(scores[1], 0);
    assert.equal(scores[2], 0, 'negative similarity counts as no match');
    const copy = deserializeDense(serializeDense(index));
    assert.deepEqual(Array.from(copy.vectors), Array.from(index.vectors));
    assert.equal(copy.model, 'm');
  });

  it('builds unit embeddings with the index and ranks the unit the question matches', async () => {
    const modelDir = path.join(dir, 'tiny');
    await writeTinyEmbedder(modelDir);
    const embedder = await loadOnnxSentenceEmbedder(modelDir);
    const store = new SqliteMetadataStore(path.join(dir, 'meta.sqlite'));
    const blobs = new FolderBlobStore(path.join(dir, 'blobs'));
    const docId = 'd'.repeat(64);
    await store.insertDocument({ id: docId, filename: null, bytes: 1 });
    // Texts from the tiny vocabulary so the embeddings differ meaningfully.
    const words = TINY_VOCAB.filter((w) => /^[a-z]+$/.test(w));
    const texts = [0, 1, 2, 3].map((i) => words.slice(i * 3, i * 3 + 3).join(' '));
    await store.savePage(docId, {
      page: 1,
      width: 600,
      height: 800,
      thumbnailKey: null,
      error: null,
      paragraphs: texts.map((text, index) => ({ page: 1, index, bbox: [50, 100 + 40 * index, 500, 120 + 40 * index] as [number, number, number, number], text, size: 10, lines: 1 })),
    });
    await buildDocumentIndex(store, blobs, docId, { name: 'tiny', embedder });
    const index = await loadDocumentIndex(store, blobs, docId);
    assert.ok(index?.dense, 'the index carries unit embeddings');
    assert.equal(index.dense.model, 'tiny');
    assert.equal(index.dense.vectors.length, texts.length * embedder.dimension);
    const question = texts[2];
    const retrieval = retrieve(index, question, ['dense'], await embedder.embed([question]));
    assert.deepEqual(retrieval.scorers, ['dense']);
    let best = 0;
    for (let i = 1; i < retrieval.scores.length; i++) if (retrieval.scores[i] > retrieval.scores[best]) best = i;
    assert.equal(best, 2);
    // Without a question vector the dense scorer sits out rather than guessing.
    assert.deepEqual(retrieve(index, question, ['dense', 'sparse']).scorers, ['sparse']);
    await embedder.release();
    await store.close();
  });
});
