/** Every workflow the worker registers. The bundler starts here. */
export { ingestDocument, progressQuery } from './ingest.ts';
