/**
 * pdf.js for Node, loaded so that it cannot slow down the rest of the process.
 *
 * The legacy build (the one pdf.js supports on Node) bundles core-js polyfills, and on Node 20
 * core-js *replaces* two native builtins with JavaScript versions for spec corner cases Folio
 * never meets: `Array.prototype.push` (an error message on a frozen length) and `JSON.parse`
 * (the parse-with-source proposal). Every `push` and `JSON.parse` in the process — pdf.js's own
 * parser, layout, Temporal's payload decoding — then runs the slow version: on octave.pdf the
 * replaced `push` alone was 12% of a page's extraction time. So this module loads pdf.js and
 * its worker (as `globalThis.pdfjsWorker`, which pdf.js's fake worker uses instead of loading
 * it later, after we have looked away), then puts back every builtin that existed before and
 * was replaced. Polyfills for what Node lacks (Promise.withResolvers, Uint8Array.fromBase64, …)
 * stay.
 *
 * Import pdf.js only through this module: a static import elsewhere would run the polyfills
 * before the snapshot is taken.
 */

type Builtin = Record<PropertyKey, unknown>;

/** The builtins whose members core-js may replace (constructors and their prototypes). */
function builtins(): Builtin[] {
  const constructors: unknown[] = [Array, Object, Promise, Map, Set, WeakMap, WeakSet, String, Number, Math, JSON, Reflect, Symbol, ArrayBuffer, DataView, RegExp, Error, Function];
  constructors.push(Object.getPrototypeOf(Uint8Array), Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array, Uint8ClampedArray);
  const out: Builtin[] = [];
  for (const c of constructors) {
    out.push(c as Builtin);
    const proto = (c as { prototype?: unknown }).prototype;
    if (proto && typeof proto === 'object') out.push(proto as Builtin);
  }
  return out;
}

function snapshot(targets: Builtin[]): Map<Builtin, Map<PropertyKey, PropertyDescriptor>> {
  const saved = new Map<Builtin, Map<PropertyKey, PropertyDescriptor>>();
  for (const target of targets) {
    const own = new Map<PropertyKey, PropertyDescriptor>();
    for (const key of Reflect.ownKeys(target)) {
      const descriptor = Object.getOwnPropertyDescriptor(target, key);
      if (descriptor) own.set(key, descriptor);
    }
    saved.set(target, own);
  }
  return saved;
}

/** Restores replaced members; returns their names (tests check `push` and `JSON.parse` are native). */
function restoreReplaced(saved: Map<Builtin, Map<PropertyKey, PropertyDescriptor>>): string[] {
  const restored: string[] = [];
  for (const [target, own] of saved) {
    for (const [key, before] of own) {
      const now = Object.getOwnPropertyDescriptor(target, key);
      if (!now || (Object.is(now.value, before.value) && now.get === before.get && now.set === before.set)) continue;
      Object.defineProperty(target, key, before);
      restored.push(String(key));
    }
  }
  return restored;
}

const saved = snapshot(builtins());
const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
const worker = await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
/** Builtins pdf.js's polyfills had replaced and this module put back. */
export const restoredBuiltins: readonly string[] = restoreReplaced(saved);

export const { getDocument, OPS, AnnotationMode, Util } = pdfjs;
export type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api.d.ts';
