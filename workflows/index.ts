/** Every workflow the worker registers. The bundler starts here. */
export { batchProgressQuery, cancelSignal, ingestBatch, pauseSignal, resumeSignal } from './batch.ts';
export { ingestDocument, progressQuery } from './ingest.ts';
