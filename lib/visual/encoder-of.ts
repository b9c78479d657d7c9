/**
 * The configured vision encoder (FOLIO_VISION_ENCODER): the built-in patch encoder, or an
 * ONNX export folder loaded once per process. `off` means no visual-token stage.
 */
import { loadOnnxVisionEncoder } from '../../models/visual/encoders/onnx-vision-encoder.ts';
import { createPatchEncoder } from '../../models/visual/encoders/patch-encoder.ts';
import type { VisionEncoder } from '../../models/visual/encoders/types.ts';

/** The encoder could not be loaded: the stage is skipped, not the document failed. */
export class EncoderLoadError extends Error {
  override name = 'EncoderLoadError';
}

const loaded = new Map<string, Promise<VisionEncoder>>();

export interface VisualSettings {
  /** `builtin` (weight-free patch encoder), an ONNX export folder, or `off`. */
  encoder: string;
  /** Share of a page's visual tokens the compression keeps, in (0, 1]. */
  retention: number;
}

export function visionEncoderOf(settings: Pick<VisualSettings, 'encoder'>): Promise<VisionEncoder | null> {
  const choice = settings.encoder;
  if (choice === 'off') return Promise.resolve(null);
  let entry = loaded.get(choice);
  if (!entry) {
    entry = choice === 'builtin' ? Promise.resolve(createPatchEncoder()) : loadOnnxVisionEncoder(choice, { threads: 1 });
    // A failed load is reported to its caller and retried next time, not cached.
    entry.catch(() => loaded.delete(choice));
    loaded.set(choice, entry);
  }
  return entry;
}

/**
 * The built-in encoder is weight-free and takes a few milliseconds a page, so extraction runs
 * it on the pixels it has just rendered (no PNG round trip, no second pass over the pages); an
 * ONNX encoder takes seconds a page and hundreds of megabytes per copy, so it runs in the
 * visual-token activity on one thread of its own, from the stored crops.
 */
export function encodesAtExtraction(settings: Pick<VisualSettings, 'encoder'>): boolean {
  return settings.encoder === 'builtin';
}
