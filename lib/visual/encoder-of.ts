/**
 * The configured vision encoder (FOLIO_VISION_ENCODER): the built-in patch encoder, or an
 * ONNX export folder loaded once per process. `off` means no visual-token stage.
 */
import { loadOnnxVisionEncoder } from '../../models/visual/encoders/onnx-vision-encoder.ts';
import { createPatchEncoder } from '../../models/visual/encoders/patch-encoder.ts';
import type { VisionEncoder } from '../../models/visual/encoders/types.ts';
import type { FolioConfig } from '../config.ts';

/** The encoder could not be loaded: the stage is skipped, not the document failed. */
export class EncoderLoadError extends Error {
  override name = 'EncoderLoadError';
}

const loaded = new Map<string, Promise<VisionEncoder>>();

export function visionEncoderOf(config: Pick<FolioConfig, 'visionEncoder'>): Promise<VisionEncoder | null> {
  const choice = config.visionEncoder;
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
