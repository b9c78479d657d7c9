import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { degrees, PDFDocument } from 'pdf-lib';
import { OPS } from '../../lib/pdf/pdfjs.ts';
import sharp from 'sharp';
import { cropRegion, cropSize } from '../../lib/pdf/render/crop.ts';
import { openPdf } from '../../lib/pdf/open.ts';
import type { PDFDocumentProxy } from '../../lib/pdf/pdfjs.ts';
import { PdfInputError } from '../../lib/pdf/errors.ts';
import { detectFigures, type FigureDetection, findPageFigures } from '../../lib/pdf/figures/detect.ts';
import { mergeRules } from '../../lib/pdf/figures/rule-merge.ts';
import type { Box } from '../../models/document/types.ts';
import { figurePdf, type FigureTruth, gradientPng, tablePdf, twoColumnPdf } from '../helpers/make-pdfs.ts';

function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

function overlap(a: Box, b: Box): number {
  return area([Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])]);
}

function iou(a: Box, b: Box): number {
  const shared = overlap(a, b);
  return shared / (area(a) + area(b) - shared);
}

async function detectOnFirstPage(bytes: Uint8Array): Promise<FigureDetection> {
  const doc = await openPdf(bytes.slice(), { maxPages: 10 });
  try {
    const page = await doc.getPage(1);
    return await findPageFigures(page);
  } finally {
    await doc.destroy();
  }
}

describe('figure detection on synthetic PDFs', () => {
  it('finds the raster and the vector figure of figurePdf, and nothing on its text', async () => {
    const { bytes, truth } = await figurePdf();
    const { figures, rules } = await detectOnFirstPage(bytes);
    assert.equal(figures.length, 2, JSON.stringify(figures));
    for (const expected of truth.figures) {
      const best = figures.reduce((a, b) => (iou(a.box, expected.box) >= iou(b.box, expected.box) ? a : b));
      assert.ok(iou(best.box, expected.box) >= 0.8, `${expected.kind}: ${best.box} vs ${expected.box}`);
      assert.equal(best.kind, expected.kind);
    }
    const raster = figures.find((f) => f.kind === 'raster')!;
    assert.equal(raster.imageCount, 1);
    const vector = figures.find((f) => f.kind === 'vector')!;
    assert.equal(vector.imageCount, 0);
    assert.ok(vector.pathCount >= 5, `the bars alone are five fills, got ${vector.pathCount}`);
    // Paragraphs and captions are text: no figure may cover any of them.
    const textBoxes = [...truth.paragraphs.map((p) => p.box), ...truth.figures.map((f) => f.caption.box)];
    for (const figure of figures) {
      for (const text of textBoxes) assert.equal(overlap(figure.box, text), 0, `${figure.box} covers text ${text}`);
    }
    // The chart's axes and grid line belong to the chart, not to the rules.
    assert.deepEqual(rules, []);
  });

  it('reports the ruling lines of tablePdf as rules and finds no figure', async () => {
    const { bytes, truth } = await tablePdf();
    const { figures, rules } = await detectOnFirstPage(bytes);
    assert.deepEqual(figures, []);
    assert.equal(rules.length, truth.rules.length, JSON.stringify(rules));
    for (const expected of truth.rules) {
      const match = rules.find((rule) => rule.every((v, i) => Math.abs(v - expected[i]) <= 0.5));
      assert.ok(match, `no rule near ${expected} in ${JSON.stringify(rules)}`);
    }
  });

  it('finds no figure and no rule in twoColumnPdf, whatever the stream order', async () => {
    for (const order of ['columns', 'rows'] as const) {
      const { bytes } = await twoColumnPdf({ order });
      const { figures, rules, stats } = await detectOnFirstPage(bytes);
      assert.deepEqual(figures, []);
      assert.deepEqual(rules, []);
      assert.ok(stats.opsRead > 50, 'the page has operators (text) to read');
    }
  });
});

describe('rotated pages', () => {
  it('reports boxes in the rotated page space, and crops them there', async () => {
    const made = await PDFDocument.create();
    const page = made.addPage([612, 792]);
    page.setRotation(degrees(90));
    page.drawImage(await made.embedPng(await gradientPng()), { x: 100, y: 500, width: 240, height: 160 });
    const doc = await openPdf(await made.save(), { maxPages: 1 });
    try {
      const pdfPage = await doc.getPage(1);
      const { figures } = await findPageFigures(pdfPage);
      // Unrotated top-left box [100, 132, 340, 292]; turned a quarter clockwise on a 792-wide view.
      assert.deepEqual(
        figures.map((f) => f.box),
        [[500, 100, 660, 340]],
      );
      const crop = await cropRegion(doc, pdfPage, figures[0].box, { dpi: 72 });
      const { channels } = await sharp(crop.png).stats();
      assert.deepEqual([crop.width, crop.height], [160, 240]);
      // All image, no white page: the gradient averages mid grey, the disc pulls it darker.
      assert.ok(channels.every((c) => c.mean < 160), JSON.stringify(channels.map((c) => c.mean)));
    } finally {
      await doc.destroy();
    }
  });
});

describe('cropRegion', () => {
  let doc: PDFDocumentProxy;
  let truth: FigureTruth;
  before(async () => {
    const made = await figurePdf();
    truth = made.truth;
    doc = await openPdf(made.bytes.slice(), { maxPages: 10 });
  });
  after(async () => {
    await doc.destroy();
  });

  it('renders a figure at the requested DPI: box size × dpi / 72 pixels', async () => {
    const page = await doc.getPage(1);
    const { figures } = await findPageFigures(page);
    for (const [figure, dpi] of [
      [figures[0], 150],
      [figures[1], 100],
    ] as const) {
      const crop = await cropRegion(doc, page, figure.box, { dpi });
      const meta = await sharp(crop.png).metadata();
      assert.equal(meta.format, 'png');
      const width = Math.round(((figure.box[2] - figure.box[0]) * dpi) / 72);
      const height = Math.round(((figure.box[3] - figure.box[1]) * dpi) / 72);
      assert.deepEqual([meta.width, meta.height, crop.width, crop.height], [width, height, width, height]);
    }
  });

  it('crops the right place: the raster crop has its dark disc in the middle and colour at the edges', async () => {
    const page = await doc.getPage(1);
    const box = truth.figures[0].box;
    const crop = await cropRegion(doc, page, box, { dpi: 72 });
    const { data, info } = await sharp(crop.png).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => {
      const o = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
      return [data[o], data[o + 1], data[o + 2]];
    };
    const centre = pixel(info.width / 2, info.height / 2);
    assert.ok(centre.every((v) => v < 60), `centre ${centre}`);
    // Bottom-right of the gradient: red and green high, blue mid.
    const corner = pixel(info.width - 3, info.height - 3);
    assert.ok(corner[0] > 200 && corner[1] > 200 && corner[2] > 100 && corner[2] < 160, `corner ${corner}`);
  });

  it('refuses crops over the pixel limit with a clear error, and empty boxes', async () => {
    const page = await doc.getPage(1);
    const box = truth.figures[0].box;
    const { width, height } = cropSize(box, 600);
    await assert.rejects(cropRegion(doc, page, box, { dpi: 600, maxPixels: width * height - 1 }), (error: unknown) => {
      assert.ok(error instanceof PdfInputError);
      assert.equal(error.code, 'too_large');
      assert.match(error.message, /limit is/);
      return true;
    });
    await assert.rejects(cropRegion(doc, page, [10, 10, 10, 50], { dpi: 150 }), RangeError);
    await assert.rejects(cropRegion(doc, page, [0, 0, Number.NaN, 5], { dpi: 150 }), RangeError);
  });
});

// ---- the pure detector over hand-made operator lists -----------------------------------------

/** Letter page; pdf.js's scale-1 viewport flips y. */
const viewport = { transform: [1, 0, 0, -1, 0, 792], width: 612, height: 792 };

/** A rectangle path in PDF user space (bottom-left origin), as pdf.js 5.4 encodes constructPath. */
function rectPath(paint: number, x: number, y: number, w: number, h: number): [number, unknown[]] {
  const data = new Float32Array([0, x, y, 1, x + w, y, 1, x + w, y + h, 1, x, y + h, 4]);
  return [OPS.constructPath, [paint, [data], new Float32Array([x, y, x + w, y + h])]];
}

function lineTo(paint: number, x0: number, y0: number, x1: number, y1: number): [number, unknown[]] {
  const data = new Float32Array([0, x0, y0, 1, x1, y1]);
  return [OPS.constructPath, [paint, [data], new Float32Array([Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)])]];
}

function list(...ops: [number, unknown][]) {
  return fromOps(ops);
}

function fromOps(ops: [number, unknown][]) {
  return { fnArray: ops.map((op) => op[0]), argsArray: ops.map((op) => op[1]) };
}

describe('detectFigures (pure)', () => {
  it('tracks the transform through save/restore to place images', () => {
    const result = detectFigures(
      list(
        [OPS.save, null],
        [OPS.transform, [200, 0, 0, 100, 100, 500]],
        [OPS.paintImageXObject, ['img_p0_1', 10, 10]],
        [OPS.restore, null],
        [OPS.save, null],
        [OPS.transform, [2, 0, 0, 2, 50, 50]],
        [OPS.transform, [100, 0, 0, 80, 0, 0]],
        [OPS.paintInlineImageXObject, [{ width: 1, height: 1 }]],
        [OPS.restore, null],
      ),
      viewport,
    );
    assert.deepEqual(
      result.figures.map((f) => [f.box, f.kind, f.imageCount]),
      [
        [[100, 192, 300, 292], 'raster', 1],
        [[50, 582, 250, 742], 'raster', 1],
      ],
    );
  });

  it('ignores page-sized backgrounds and specks, and clips to the clip path', () => {
    const result = detectFigures(
      list(
        rectPath(OPS.fill, 0, 0, 612, 792),
        rectPath(OPS.fill, 300, 300, 1, 1),
        [OPS.save, null],
        [OPS.clip, null],
        rectPath(OPS.endPath, 100, 100, 50, 50),
        [OPS.transform, [300, 0, 0, 300, 0, 0]],
        [OPS.paintImageXObject, ['img', 1, 1]],
        [OPS.restore, null],
      ),
      viewport,
    );
    assert.deepEqual(
      result.figures.map((f) => f.box),
      [[100, 642, 150, 692]],
    );
    assert.equal(result.stats.background, 1);
    assert.equal(result.stats.tiny, 1);
  });

  it('turns a stroked frame into four rules and a lone filled panel into nothing', () => {
    const result = detectFigures(
      list([OPS.setLineWidth, [1]], rectPath(OPS.stroke, 72, 400, 468, 200), rectPath(OPS.fill, 72, 100, 468, 150)),
      viewport,
    );
    assert.deepEqual(result.figures, []);
    assert.equal(result.rules.length, 4);
  });

  it('keeps bars on an axis together as one figure, and ignores soft-mask content', () => {
    const bars = [0, 1, 2, 3].map((i) => rectPath(OPS.fill, 120 + i * 60, 300, 30, 40 + i * 30));
    const result = detectFigures(
      list(
        lineTo(OPS.stroke, 100, 300, 400, 300),
        ...bars,
        [OPS.beginGroup, [{ smask: { subtype: 'Alpha' }, bbox: [0, 0, 612, 792], matrix: null }]],
        rectPath(OPS.fill, 450, 50, 100, 100),
        [OPS.endGroup, null],
      ),
      viewport,
    );
    assert.equal(result.figures.length, 1, JSON.stringify(result.figures));
    // Butt caps: the axis widens the box downwards by half its width, not sideways.
    assert.deepEqual(result.figures[0].box, [100, 362, 400, 492.5]);
    assert.equal(result.figures[0].pathCount, 5);
    assert.deepEqual(result.rules, []);
  });

  it('keeps a picture in a ruled table apart from the table and from an icon in another cell', () => {
    const ops: [number, unknown][] = [[OPS.setLineWidth, [0.5]]];
    for (const y of [550, 600, 650, 700]) ops.push(lineTo(OPS.stroke, 72, y, 540, y));
    for (const x of [72, 306, 540]) ops.push(lineTo(OPS.stroke, x, 550, x, 700));
    ops.push(
      [OPS.save, null],
      [OPS.transform, [210, 0, 0, 40, 80, 605]],
      [OPS.paintImageXObject, ['picture', 1, 1]],
      [OPS.restore, null],
      [OPS.save, null],
      [OPS.transform, [10, 0, 0, 10, 320, 560]],
      [OPS.paintImageXObject, ['icon', 1, 1]],
      [OPS.restore, null],
    );
    const result = detectFigures(fromOps(ops), viewport);
    assert.deepEqual(
      result.figures.map((f) => [f.box, f.kind]),
      [[[80, 147, 290, 187], 'raster']],
    );
    // Four horizontal rules and three vertical ones, each drawn as one segment.
    assert.equal(result.rules.length, 7);
  });

  it('drops a backdrop rectangle instead of letting it swallow the page', () => {
    const chart = [0, 1, 2].map((i) => rectPath(OPS.fill, 100 + i * 40, 500, 20, 50 + i * 20));
    const picture: [number, unknown][] = [
      [OPS.save, null],
      [OPS.transform, [150, 0, 0, 100, 350, 150]],
      [OPS.paintImageXObject, ['photo', 1, 1]],
      [OPS.restore, null],
    ];
    // A pale panel behind both, as a slide or a sidebar would have.
    const axis = lineTo(OPS.stroke, 90, 500, 210, 500);
    const result = detectFigures(list(rectPath(OPS.fill, 60, 100, 480, 600), axis, ...chart, ...picture), viewport);
    assert.deepEqual(
      result.figures.map((f) => f.box),
      [
        [90, 202, 210, 292.5],
        [350, 542, 500, 642],
      ],
    );
    assert.equal(result.stats.containers, 1);
  });

  it('joins collinear rule pieces into one rule per line', () => {
    const merged = mergeRules([
      [72, 100, 200, 100.5],
      [200.5, 100, 300, 100.5],
      [300, 100.1, 400, 100.6],
      [420, 100, 500, 100.5],
      [72, 120, 300, 120.5],
      [72, 100, 72.5, 200],
      [72, 200.8, 72.5, 300],
    ]);
    assert.deepEqual(merged, [
      [72, 100, 400, 100.6],
      [72, 100, 72.5, 300],
      [420, 100, 500, 100.5],
      [72, 120, 300, 120.5],
    ]);
  });

  it('survives hostile operator lists: garbage arguments, non-finite numbers, unbalanced restores', () => {
    const hostile = list(
      [OPS.restore, null],
      [OPS.restore, undefined],
      [OPS.transform, [Number.NaN, 0, 0, 1, 0, 0]],
      [OPS.paintImageXObject, ['x']],
      [OPS.transform, 'not numbers'],
      [OPS.constructPath, [OPS.fill, 'garbage', null]],
      [OPS.constructPath, null],
      [OPS.constructPath, [OPS.fill, [new Float32Array([1, Number.POSITIVE_INFINITY, 0])], new Float32Array([0, 0, 1e308, 1e308])]],
      [OPS.paintImageXObjectRepeat, ['x', 1, 1, 'positions']],
      [OPS.paintImageMaskXObjectGroup, [[null, { transform: 'x' }]]],
      [OPS.beginGroup, [null]],
      [OPS.setGState, [[['LW', 'wide'], null]]],
      [OPS.endMarkedContent, null],
      [9999, [1, 2, 3]],
    );
    const result = detectFigures(hostile, viewport);
    assert.deepEqual(result.figures, []);
    assert.ok(result.stats.nonFinite >= 1);
    assert.ok(result.stats.malformed >= 3);
    // A viewport that is not one, and a page a million points wide and a thousandth high.
    assert.deepEqual(detectFigures(hostile, { transform: [], width: Number.NaN, height: 0 }).figures, []);
    const sliver = detectFigures(list(rectPath(OPS.fill, 10, 0, 5e5, 1e-3), rectPath(OPS.fill, 6e5, 0, 10, 1e-3)), {
      transform: [1, 0, 0, -1, 0, 1e-3],
      width: 1e6,
      height: 1e-3,
    });
    assert.equal(sliver.stats.marks, 2);
  });

  it('caps the operators it reads on huge pages', () => {
    const ops: [number, unknown][] = [];
    for (let i = 0; i < 200_000; i++) ops.push(rectPath(OPS.fill, (i % 500) + 50, Math.floor(i / 500) + 50, 3, 3));
    const started = performance.now();
    const result = detectFigures(fromOps(ops), viewport, { maxOps: 30_000, maxMarks: 100_000 });
    assert.equal(result.stats.opsRead, 30_000);
    assert.equal(result.stats.truncated, true);
    assert.ok(performance.now() - started < 5000);
    const capped = detectFigures(fromOps(ops), viewport, { maxMarks: 1000 });
    assert.equal(capped.stats.marks, 1000);
    assert.equal(capped.stats.truncated, true);
  });
});
