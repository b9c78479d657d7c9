// pdf.js ships no types for its worker module; Folio only hands it to pdf.js (see pdfjs.ts).
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
