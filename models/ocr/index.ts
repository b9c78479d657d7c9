/** Folio's OCR for scanned pages (PP-OCRv4 ONNX models via onnxruntime-node). */
export { closeOcrEngine, createOcrEngine, DEFAULT_SETTINGS, defaultModelPaths } from './engine.ts';
export type { OcrEngine, OcrEngineOptions, OcrModelPaths, OcrSettings } from './engine.ts';
export { recognize } from './recognize.ts';
export type { OcrImage, OcrLine } from './types.ts';
