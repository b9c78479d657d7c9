/**
 * Small synthetic PDFs with known ground truth, for layout, figure and table tests. Each
 * generator draws with pdf-lib and records the box of what it drew as it draws it, so the truth
 * cannot drift from the drawing. Boxes are `[x0, y0, x1, y1]` in PDF points with the origin at
 * the top-left of the page (pdf.js's scale-1 viewport); text boxes run from the font's ascender
 * to its descender; stroked lines are widened by half their thickness (butt caps).
 */
import { type PDFFont, type PDFPage, PDFDocument, type RGB, rgb, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import type { Box } from '../../models/document/types.ts';

export interface GeneratedPdf<Truth> {
  bytes: Uint8Array;
  truth: Truth;
}

export interface TextTruth {
  text: string;
  box: Box;
}

const LETTER: [number, number] = [612, 792];

function union(a: Box | null, b: Box): Box {
  if (!a) return [...b];
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

/** Drawing on one page in top-left coordinates, recording what is drawn. */
class Canvas {
  constructor(
    readonly page: PDFPage,
    readonly font: PDFFont,
  ) {}

  get height(): number {
    return this.page.getHeight();
  }

  /** Draws one line of text whose ascender touches `top`; returns its box. */
  text(text: string, x: number, top: number, size: number): TextTruth {
    const ascent = this.font.heightAtSize(size, { descender: false });
    const full = this.font.heightAtSize(size);
    const baseline = top + ascent;
    this.page.drawText(text, { x, y: this.height - baseline, size, font: this.font, color: rgb(0, 0, 0) });
    return { text, box: [x, top, x + this.font.widthOfTextAtSize(text, size), top + full] };
  }

  /** Stroked straight line from (x0, y0) to (x1, y1); returns its box. */
  line(x0: number, y0: number, x1: number, y1: number, thickness: number, color: RGB = rgb(0, 0, 0)): Box {
    const h = this.height;
    this.page.drawLine({ start: { x: x0, y: h - y0 }, end: { x: x1, y: h - y1 }, thickness, color });
    const half = thickness / 2;
    if (y0 === y1) return [Math.min(x0, x1), y0 - half, Math.max(x0, x1), y0 + half];
    if (x0 === x1) return [x0 - half, Math.min(y0, y1), x0 + half, Math.max(y0, y1)];
    return [Math.min(x0, x1) - half, Math.min(y0, y1) - half, Math.max(x0, x1) + half, Math.max(y0, y1) + half];
  }

  /** Filled rectangle with top-left corner (x, top); returns its box. */
  rect(x: number, top: number, width: number, height: number, color: RGB): Box {
    this.page.drawRectangle({ x, y: this.height - top - height, width, height, color });
    return [x, top, x + width, top + height];
  }

  /** Greedy word wrap of `text` into lines of at most `width` points, drawn from `top` down. */
  paragraph(text: string, x: number, top: number, width: number, size: number, leading: number): TextTruth & { lines: TextTruth[] } {
    const lines: TextTruth[] = [];
    let current = '';
    let y = top;
    const flush = () => {
      if (!current) return;
      lines.push(this.text(current, x, y, size));
      y += leading;
      current = '';
    };
    for (const word of text.split(/\s+/).filter(Boolean)) {
      const candidate = current ? `${current} ${word}` : word;
      if (current && this.font.widthOfTextAtSize(candidate, size) > width) flush();
      current = current ? `${current} ${word}` : word;
      if (this.font.widthOfTextAtSize(current, size) > width) flush();
    }
    flush();
    let box: Box | null = null;
    for (const line of lines) box = union(box, line.box);
    return { text: lines.map((l) => l.text).join(' '), box: box ?? [x, top, x, top], lines };
  }
}

async function newPage(): Promise<{ doc: PDFDocument; canvas: Canvas }> {
  const doc = await PDFDocument.create();
  // Fixed dates keep the bytes identical from run to run.
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  return { doc, canvas: new Canvas(doc.addPage(LETTER), font) };
}

// ---------------------------------------------------------------------------------------------

export interface TwoColumnTruth {
  pageSize: [number, number];
  columns: [Box, Box];
  /** Sentences in reading order: the left column top to bottom, then the right column. */
  sentences: { number: number; text: string; column: 0 | 1 }[];
  /** Text lines per column, top to bottom. */
  lines: [TextTruth[], TextTruth[]];
}

const NOUNS = ['river', 'lantern', 'harbour', 'orchard', 'glacier', 'market', 'violin', 'compass', 'meadow', 'tunnel'];
const VERBS = ['describes', 'measures', 'recalls', 'explains', 'compares', 'predicts', 'records', 'questions'];

function sentence(n: number): string {
  return `Sentence ${n} ${VERBS[n % VERBS.length]} the ${NOUNS[n % NOUNS.length]} numbered ${n * 7 + 3}.`;
}

/**
 * Two columns of numbered, distinct sentences. `order: 'rows'` writes the content stream across
 * the page line by line (left line, right line, ...), as some producers do, so stream order is
 * not reading order; the default writes a column at a time.
 */
export async function twoColumnPdf(
  options: { sentencesPerColumn?: number; order?: 'columns' | 'rows' } = {},
): Promise<GeneratedPdf<TwoColumnTruth>> {
  const perColumn = options.sentencesPerColumn ?? 14;
  const { doc, canvas } = await newPage();
  const size = 10;
  const leading = 13;
  const xs = [54, 324];
  const width = 234;
  const sentences: TwoColumnTruth['sentences'] = [];
  // Lay out each column's lines first (text and position), then draw in the requested order.
  const planned: { text: string; x: number; top: number }[][] = [[], []];
  for (const column of [0, 1] as const) {
    let top = 72;
    let current = '';
    const flush = () => {
      planned[column].push({ text: current, x: xs[column], top });
      top += leading;
      current = '';
    };
    for (let i = 1; i <= perColumn; i++) {
      const n = column * perColumn + i;
      const text = sentence(n);
      sentences.push({ number: n, text, column });
      for (const word of text.split(' ')) {
        const candidate = current ? `${current} ${word}` : word;
        if (current && canvas.font.widthOfTextAtSize(candidate, size) > width) flush();
        current = current ? `${current} ${word}` : word;
      }
    }
    if (current) flush();
  }
  const lines: [TextTruth[], TextTruth[]] = [[], []];
  const draw = (column: 0 | 1, index: number) => {
    const line = planned[column][index];
    if (line) lines[column].push(canvas.text(line.text, line.x, line.top, size));
  };
  if (options.order === 'rows') {
    for (let i = 0; i < Math.max(planned[0].length, planned[1].length); i++) {
      draw(0, i);
      draw(1, i);
    }
  } else {
    for (const column of [0, 1] as const) {
      for (let i = 0; i < planned[column].length; i++) draw(column, i);
    }
  }
  const columnBox = (column: 0 | 1) => lines[column].reduce<Box | null>((box, line) => union(box, line.box), null)!;
  return {
    bytes: await doc.save(),
    truth: { pageSize: LETTER, columns: [columnBox(0), columnBox(1)], sentences, lines },
  };
}

// ---------------------------------------------------------------------------------------------

export interface FigureTruth {
  pageSize: [number, number];
  paragraphs: TextTruth[];
  figures: { kind: 'raster' | 'vector'; box: Box; caption: TextTruth }[];
}

/** A 240×160 RGB PNG: a red-green gradient with a dark disc in the middle. */
export async function gradientPng(width = 240, height = 160): Promise<Buffer> {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const inDisc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height * 0.28) ** 2;
      pixels[o] = inDisc ? 30 : Math.round((x / (width - 1)) * 255);
      pixels[o + 1] = inDisc ? 30 : Math.round((y / (height - 1)) * 255);
      pixels[o + 2] = inDisc ? 40 : 128;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

const LOREM =
  'This paragraph introduces the two figures below. The first is a photograph-like raster image and ' +
  'the second is a bar chart drawn with vector lines and rectangles. Neither figure contains text, ' +
  'and their captions sit directly under them.';
const CLOSING =
  'A closing paragraph follows the second figure so that text surrounds both figures on the page. ' +
  'It is long enough to wrap onto a second line.';

/**
 * A paragraph, a raster figure (an embedded PNG), a vector bar chart (axes, ticks, a grid line,
 * bars and a line series), each with a caption under it, and a closing paragraph.
 */
export async function figurePdf(): Promise<GeneratedPdf<FigureTruth>> {
  const { doc, canvas } = await newPage();
  const paragraphs: TextTruth[] = [];
  const intro = canvas.paragraph(LOREM, 72, 72, 468, 11, 14);
  paragraphs.push({ text: intro.text, box: intro.box });

  // Figure 1: the image fills [162, 150, 450, 342] (288×192 pt, the PNG's 3:2 aspect).
  const png = await doc.embedPng(await gradientPng());
  const rasterBox: Box = [162, 150, 450, 342];
  canvas.page.drawImage(png, {
    x: rasterBox[0],
    y: canvas.height - rasterBox[3],
    width: rasterBox[2] - rasterBox[0],
    height: rasterBox[3] - rasterBox[1],
  });
  const caption1 = canvas.text('Figure 1: A synthetic raster image of a gradient with a dark disc.', 162, 352, 10);

  // Figure 2: a bar chart whose x axis is at y = 560 (top-left space).
  let chart: Box | null = null;
  const axisY = 560;
  const axisX = 170;
  chart = union(chart, canvas.line(axisX, 400, axisX, axisY, 1));
  chart = union(chart, canvas.line(axisX, axisY, 450, axisY, 1));
  for (let y = 400; y <= axisY; y += 40) chart = union(chart, canvas.line(axisX - 5, y, axisX, y, 1));
  chart = union(chart, canvas.line(axisX, 480, 450, 480, 0.5, rgb(0.6, 0.6, 0.6)));
  const heights = [60, 110, 85, 140, 40];
  const colors = [rgb(0.2, 0.4, 0.8), rgb(0.9, 0.5, 0.1), rgb(0.3, 0.7, 0.3), rgb(0.8, 0.2, 0.2), rgb(0.5, 0.3, 0.7)];
  const tops: [number, number][] = [];
  heights.forEach((h, i) => {
    const x = 190 + i * 50;
    chart = union(chart, canvas.rect(x, axisY - h, 32, h, colors[i]));
    tops.push([x + 16, axisY - h - 12]);
  });
  for (let i = 1; i < tops.length; i++) {
    chart = union(chart, canvas.line(tops[i - 1][0], tops[i - 1][1], tops[i][0], tops[i][1], 1.5, rgb(0.1, 0.1, 0.1)));
  }
  const caption2 = canvas.text('Figure 2: A vector bar chart drawn with lines and rectangles.', 162, 575, 10);

  const closing = canvas.paragraph(CLOSING, 72, 620, 468, 11, 14);
  paragraphs.push({ text: closing.text, box: closing.box });
  return {
    bytes: await doc.save(),
    truth: {
      pageSize: LETTER,
      paragraphs,
      figures: [
        { kind: 'raster', box: rasterBox, caption: caption1 },
        { kind: 'vector', box: chart!, caption: caption2 },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface TableTruth {
  pageSize: [number, number];
  caption: TextTruth;
  /** Box of the whole table, rules included. */
  box: Box;
  /** Horizontal rules, top to bottom. */
  rules: Box[];
  /** Rows of cells; row 0 is the header. */
  cells: TextTruth[][];
  paragraph: TextTruth;
}

const TABLE_ROWS = [
  ['Method', 'Dataset A', 'Dataset B'],
  ['Alpha', '81.2', '77.5'],
  ['Beta', '84.9', '79.1'],
  ['Gamma', '86.3', '80.4'],
];

/**
 * A captioned booktabs-style table: a caption, a header row and three body rows of three cells,
 * with horizontal rules above and below the table (thin filled rectangles, as TeX draws them),
 * under the header and between body rows (stroked lines, as word processors draw them).
 */
export async function tablePdf(): Promise<GeneratedPdf<TableTruth>> {
  const { doc, canvas } = await newPage();
  const left = 120;
  const right = 492;
  const columnsX = [126, 260, 390];
  const caption = canvas.text('Table 1: Accuracy of three synthetic methods on two datasets.', left, 90, 10);
  const rules: Box[] = [];
  rules.push(canvas.rect(left, 110, right - left, 1, rgb(0, 0, 0)));
  const rowTops = [116, 138, 156, 174];
  const cells = TABLE_ROWS.map((row, r) => row.map((text, c) => canvas.text(text, columnsX[c], rowTops[r], 10)));
  rules.push(canvas.line(left, 132, right, 132, 0.6));
  rules.push(canvas.line(left, 152, right, 152, 0.4));
  rules.push(canvas.line(left, 170, right, 170, 0.4));
  rules.push(canvas.rect(left, 188, right - left, 1, rgb(0, 0, 0)));
  const paragraph = canvas.paragraph(
    'The table above lists three methods. Its rules are the only lines on this page, and there is no figure.',
    72,
    220,
    468,
    11,
    14,
  );
  let box: Box | null = null;
  for (const rule of rules) box = union(box, rule);
  for (const row of cells) for (const cell of row) box = union(box, cell.box);
  return {
    bytes: await doc.save(),
    truth: {
      pageSize: LETTER,
      caption,
      box: box!,
      rules,
      cells,
      paragraph: { text: paragraph.text, box: paragraph.box },
    },
  };
}

export interface BoldHeadingTruth {
  /** Bold headings set at the body size, in order. */
  headings: string[];
  /** The body paragraph under each heading. */
  bodies: string[];
}

/**
 * Headings that differ from the body only by weight (Helvetica-Bold at the body's 10 pt, no
 * numbering), each directly followed by a regular paragraph with the usual line spacing.
 */
export async function boldHeadingPdf(): Promise<GeneratedPdf<BoldHeadingTruth>> {
  const { doc, canvas } = await newPage();
  const bold = new Canvas(canvas.page, await doc.embedFont(StandardFonts.HelveticaBold));
  const headings = ['Installation', 'Configuration options'];
  const bodies = [
    'Unpack the archive into any folder and run the setup script once. The script checks the compiler, the libraries and the disk space, and prints what is missing.',
    'Every setting lives in one file next to the program. Settings that are not given take the defaults listed in the reference, and a setting given twice keeps its last value.',
  ];
  let top = 72;
  headings.forEach((heading, i) => {
    bold.text(heading, 72, top, 10);
    const body = canvas.paragraph(bodies[i], 72, top + 13, 468, 10, 13);
    top = body.box[3] + 20;
  });
  return { bytes: await doc.save(), truth: { headings, bodies } };
}
