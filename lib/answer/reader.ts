/**
 * Which reader answers (FOLIO_READER): the extractive reader's rules alone, the LLM writing the
 * answer (lib/answer/llm.ts), or the LLM judging the extractive reader's candidates
 * (lib/answer/judge.ts). The two model readers need a checkpoint (FOLIO_LLM_FILE / FOLIO_LLM_DIR).
 */
import { JudgeReader } from './judge.ts';
import { LlmReader, type LlmReaderSettings } from './llm.ts';
import type { ReaderSettings } from './reader-settings.ts';

/** A reader that needs the model; both answer evidence the same way. */
export type ModelReader = LlmReader | JudgeReader;

/** The configured model reader, or null when the extractive reader answers alone. */
export function modelReaderOf(reader: ReaderSettings, llm: Omit<LlmReaderSettings, 'dir'> & { dir: string | undefined }): ModelReader | null {
  if (reader.kind === 'extractive') return null;
  const generator = LlmReader.fromSettings(llm);
  if (!generator) throw new Error(`FOLIO_READER=${reader.kind} needs a checkpoint: set FOLIO_LLM_FILE or FOLIO_LLM_DIR`);
  return reader.kind === 'judge' ? new JudgeReader(generator, reader.judge) : generator;
}
