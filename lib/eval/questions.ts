/**
 * Question files of the evaluation harness (JSON lines, as ../shared/corpus/qa/questions.jsonl):
 * `doc` is the PDF's file name, `evidence_pages` are 1-based, `answer` is null for a question the
 * document cannot answer.
 */
import fs from 'node:fs';

export interface EvalQuestion {
  id: string;
  doc: string;
  question: string;
  answer: string | null;
  evidence_pages: number[];
  kind?: string;
}

export function readQuestionFile(file: string): EvalQuestion[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      try {
        return JSON.parse(line) as EvalQuestion;
      } catch (error) {
        throw new Error(`${file}, line ${i + 1}: not a JSON question`, { cause: error });
      }
    });
}
