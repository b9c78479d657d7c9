/**
 * The readers' settings, types and constants only (lib/config.ts takes them from here without
 * loading the readers): which reader answers (FOLIO_READER), and the LLM prompt styles.
 */
import type { JudgeSettings } from '../../models/answer/judge.ts';

export const READER_KINDS = ['extractive', 'llm', 'judge'] as const;
export type ReaderKind = (typeof READER_KINDS)[number];

export interface ReaderSettings {
  kind: ReaderKind;
  judge: JudgeSettings;
}

/**
 * The reader when FOLIO_READER is unset: the LLM writing answers when a checkpoint is
 * configured, else the extractive reader. The judge is not the default: on the development sets
 * it did not beat the extractive reader on both qa and finance (README, Evaluation).
 */
export function defaultReaderKind(checkpointConfigured: boolean): ReaderKind {
  return checkpointConfigured ? 'llm' : 'extractive';
}

/**
 * The LLM reader's prompt: `chat` through the checkpoint's template, `plain` the same
 * instructions as text, `base` a worked example for a base model answering on one line
 * (readerBasePrompt); `auto` is chat when the checkpoint has a template, else plain.
 */
export const LLM_PROMPT_STYLES = ['auto', 'chat', 'plain', 'base'] as const;
export type LlmPromptStyle = (typeof LLM_PROMPT_STYLES)[number];
