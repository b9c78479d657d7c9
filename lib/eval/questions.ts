/**
 * Question files of the evaluation harness (JSON lines):
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
  /** Finance sets: extraction, numerical, text, notes_table or unanswerable. */
  question_type?: string;
  /** Finance sets: the unit the answer is given in ("USD millions", "percent"), or null. */
  unit?: string | null;
  /** Finance numerical questions: "<definition> = <numeric expression>". */
  formula?: string | null;
}

/** The question's type for per-type reports: its `question_type`, else its `kind`, else "all". */
export function questionType(question: EvalQuestion): string {
  return question.question_type ?? question.kind ?? 'all';
}

/** The records of a JSON Lines file, one per non-blank line; `what` names a record in errors. */
export function readJsonLines<T>(file: string, what: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      try {
        return JSON.parse(line) as T;
      } catch (error) {
        throw new Error(`${file}, line ${i + 1}: not a JSON ${what}`, { cause: error });
      }
    });
}

export function readQuestionFile(file: string): EvalQuestion[] {
  return readJsonLines<EvalQuestion>(file, 'question');
}
