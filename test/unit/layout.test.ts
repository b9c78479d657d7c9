import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box } from '../../models/document/types.ts';
import { joinLines, layoutParagraphs, linesToParagraphs } from '../../lib/pdf/text/paragraphs.ts';
import { runsToLines, type TextRun } from '../../lib/pdf/text/lines.ts';
import { textItemBox } from '../../lib/pdf/text/runs.ts';

/** A run of `text` at (x, top) in 10-pt type, about 5 pt per character. */
function run(text: string, x: number, top: number, endsLine = false, size = 10): TextRun {
  const box: Box = [x, top, x + text.length * size * 0.5, top + size * 1.2];
  return { text, box, size, endsLine };
}

describe('layout', () => {
  it('joins runs on one baseline into a line, with spaces only where there is a gap', () => {
    const lines = runsToLines([run('Hello', 0, 0), run('world', 30, 0), run('!', 55, 0)]);
    assert.equal(lines.length, 1);
    assert.equal(lines[0].text, 'Hello world!');
    assert.deepEqual(lines[0].box, [0, 0, 60, 12]);
  });

  it('starts a new line on a new baseline and after an end-of-line marker', () => {
    const lines = runsToLines([run('first', 0, 0, true), run('second', 30, 0), run('third', 0, 14)]);
    assert.deepEqual(
      lines.map((line) => line.text),
      ['first', 'second', 'third'],
    );
  });

  it('breaks paragraphs on a vertical gap and keeps close lines together', () => {
    const runs = [run('line one of the first', 0, 0), run('line two of the first', 0, 13), run('a second paragraph', 0, 40)];
    const paragraphs = layoutParagraphs(runs, 3);
    assert.deepEqual(
      paragraphs.map((p) => p.text),
      ['line one of the first line two of the first', 'a second paragraph'],
    );
    assert.equal(paragraphs[0].page, 3);
    assert.deepEqual(
      paragraphs.map((p) => p.index),
      [0, 1],
    );
    assert.deepEqual(paragraphs[0].bbox, [0, 0, 105, 25]);
  });

  it('breaks paragraphs when the text jumps back up the page (a new column)', () => {
    const lines = runsToLines([run('left column bottom', 0, 500), run('right column top', 300, 100)]);
    const paragraphs = linesToParagraphs(lines, 1);
    assert.equal(paragraphs.length, 2);
  });

  it('joins words hyphenated across lines, keeping hyphens before capitals and digits', () => {
    assert.equal(joinLines(['includes 22 fea-', 'tures and', 'X-', 'Ray and 1-', '2']), 'includes 22 features and X- Ray and 1- 2');
  });

  it('computes item boxes in top-left page space from the text matrix', () => {
    // A 612×792 page at scale 1: pdf.js's viewport flips y.
    const viewport: [number, number, number, number, number, number] = [1, 0, 0, -1, 0, 792];
    const { box, size } = textItemBox([12, 0, 0, 12, 72, 700], 100, viewport);
    assert.equal(size, 12);
    assert.deepEqual(
      box.map((v) => Math.round(v * 10) / 10),
      [72, 80, 172, 94.4],
    );
  });
});
