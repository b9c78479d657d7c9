/*
 * The built-in vision encoder's patch features (models/visual/encoders/patch-encoder.ts holds the
 * definition and the TypeScript version; it calls this one when the addon is built). Same
 * features, same patch grid, same order; results agree with the TypeScript version to float
 * rounding (test/unit/patch-features-native.test.ts).
 *
 * Why native: every page's visual thumbnail and tiles (five 336×336 images for a Letter page) go
 * through these statistics, and in TypeScript they were the largest single cost of ingestion's
 * extraction threads (about a sixth of their time on octave.pdf). Here each image row is turned
 * into per-pixel quantities in loops without branches, which the compiler vectorises, and only
 * then summed per patch; the TypeScript version walks each patch with branches per pixel and
 * skips blank patches instead.
 *
 * Per pixel, with luminance v in [0,1]: d = v − v₀ and d², where v₀ is the luminance of the
 * patch's top-left pixel (sums of d keep a near-flat patch's small variance in float; sums of v
 * and v² would cancel it away), ink (v < 0.8), dark ink (v < 0.4), chroma,
 * the central-difference gradient (gx, gy) with |gx| + |gy| split into four orientation bins,
 * ink transitions to the left and upward neighbour (inside the patch), ink per row and column,
 * and the row sums of v·cos_u(x) for the 3×3 low-frequency DCT.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "folio-native.h"

#define FEATURES 24
#define INK 0.8f
#define DARK 0.4f
#define TAN_67 2.414f
/* Per-pixel quantities of one row, each an array of the image's width. */
enum { V, V2, INKS, DARKS, CHROMA, MAG, E0, E45, E90, E135, TH, TV, R0, R1, R2, QUANTITIES };

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && defined(__linux__)
#define HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HOT
#endif

/* Patch p of `patches` along a side of `size` covers [edge(p), edge(p+1)), as in the TypeScript. */
static int edgeOf(int p, int size, int patches) { return (int)(((int64_t)p * size) / patches); }

/* basis[u * size + x] = cos(π(2·xx+1)u / 2n) for the patch holding x, xx = x − its start, n its width. */
static void dctBasis(float *basis, int size, int patches) {
  for (int p = 0; p < patches; p++) {
    const int a = edgeOf(p, size, patches), b = edgeOf(p + 1, size, patches), n = b - a;
    for (int u = 0; u < 3; u++)
      for (int x = a; x < b; x++) basis[u * size + x] = (float)cos((M_PI * (2 * (x - a) + 1) * u) / (2.0 * n));
  }
}

/*
 * One row's per-pixel quantities into q[k * width + x]. `left` and `right` are the row shifted by
 * one pixel (the edge pixel repeated), so the loop has no edge cases and vectorises.
 */
HOT static void rowQuantities(const float *lum, const float *chroma, int width, int height, int y, int first, const float *bx, const float *ref, float *q, float *left, float *right) {
  const float *restrict row = lum + (size_t)y * width;
  const float *restrict up = lum + (size_t)(y > 0 ? y - 1 : y) * width;
  const float *restrict down = lum + (size_t)(y < height - 1 ? y + 1 : y) * width;
  const float *restrict c = chroma + (size_t)y * width;
  const float *restrict v0 = ref;
  const float *restrict b0 = bx, *restrict b1 = bx + width, *restrict b2 = bx + 2 * width;
  float *restrict l = left, *restrict r = right;
  memcpy(l + 1, row, (size_t)(width - 1) * sizeof(float));
  l[0] = row[0];
  memcpy(r, row + 1, (size_t)(width - 1) * sizeof(float));
  r[width - 1] = row[width - 1];
  float *restrict qv = q + (size_t)V * width, *restrict qv2 = q + (size_t)V2 * width, *restrict qink = q + (size_t)INKS * width;
  float *restrict qdark = q + (size_t)DARKS * width, *restrict qc = q + (size_t)CHROMA * width, *restrict qmag = q + (size_t)MAG * width;
  float *restrict q0 = q + (size_t)E0 * width, *restrict q45 = q + (size_t)E45 * width, *restrict q90 = q + (size_t)E90 * width;
  float *restrict q135 = q + (size_t)E135 * width, *restrict qth = q + (size_t)TH * width, *restrict qtv = q + (size_t)TV * width;
  float *restrict qr0 = q + (size_t)R0 * width, *restrict qr1 = q + (size_t)R1 * width, *restrict qr2 = q + (size_t)R2 * width;
  /* A vertical transition is counted between two rows of the patch: not on its first row. */
  const float counted = first ? 0.0f : 1.0f;
  /* The outputs never overlap the inputs; GCC 12 does not vectorise this loop without being told. */
#pragma GCC ivdep
  for (int x = 0; x < width; x++) {
    const float v = row[x];
    const float gx = r[x] - l[x], gy = down[x] - up[x];
    const float ax = fabsf(gx), ay = fabsf(gy), mag = ax + ay;
    const float m0 = ax > TAN_67 * ay ? 1.0f : 0.0f;
    const float m90 = (1.0f - m0) * (ay > TAN_67 * ax ? 1.0f : 0.0f);
    const float m45 = (1.0f - m0 - m90) * (gx * gy > 0.0f ? 1.0f : 0.0f);
    const float ink = v < INK ? 1.0f : 0.0f;
    const float inkLeft = l[x] < INK ? 1.0f : 0.0f, inkUp = up[x] < INK ? 1.0f : 0.0f;
    qv[x] = v - v0[x];
    qv2[x] = (v - v0[x]) * (v - v0[x]);
    qink[x] = ink;
    qdark[x] = v < DARK ? 1.0f : 0.0f;
    qc[x] = c[x];
    qmag[x] = mag;
    q0[x] = m0 * mag;
    q90[x] = m90 * mag;
    q45[x] = m45 * mag;
    q135[x] = (1.0f - m0 - m90 - m45) * mag;
    qth[x] = fabsf(ink - inkLeft);
    qtv[x] = counted * fabsf(ink - inkUp);
    qr0[x] = v * b0[x];
    qr1[x] = v * b1[x];
    qr2[x] = v * b2[x];
  }
}

/*
 * Features of a width×height RGB image on a rows×cols grid into features (rows·cols × 24) and
 * contrast (rows·cols). Returns 0 when out of memory.
 *
 * Within a patch row, every quantity is first summed down each pixel column (col[k][x], DCT terms
 * already weighted by the row's y basis), which vectorises; the sums across each patch's columns
 * then happen once per patch row rather than once per image row.
 */
enum { D00 = QUANTITIES - 3, COLUMN_SUMS = D00 + 9 };

HOT static void addRow(const float *q, const float *cy, int width, float *col, float *lo, float *hi, uint8_t *inkCols) {
  for (int k = 0; k < R0; k++) {
    const float *src = q + (size_t)k * width;
    float *dst = col + (size_t)k * width;
    for (int x = 0; x < width; x++) dst[x] += src[x];
  }
  for (int u = 0; u < 3; u++)
    for (int v = 0; v < 3; v++) {
      const float *src = q + (size_t)(R0 + v) * width;
      float *dst = col + (size_t)(D00 + 3 * u + v) * width;
      const float c = cy[u];
      for (int x = 0; x < width; x++) dst[x] += src[x] * c;
    }
  const float *v = q + (size_t)V * width, *ink = q + (size_t)INKS * width;
  for (int x = 0; x < width; x++) {
    lo[x] = v[x] < lo[x] ? v[x] : lo[x];
    hi[x] = v[x] > hi[x] ? v[x] : hi[x];
    inkCols[x] |= ink[x] > 0.0f;
  }
}

/* Every byte of rows [y0, y1) is 255 (white paper). */
static int whiteRows(const uint8_t *rgb, int width, int y0, int y1) {
  const uint8_t *p = rgb + (size_t)y0 * width * 3, *end = rgb + (size_t)y1 * width * 3;
  uint8_t all = 255;
  for (; p < end; p++) all &= *p;
  return all == 255;
}

static int computePatchFeatures(const uint8_t *rgb, int width, int height, int rows, int cols, float *features, float *contrast) {
  const size_t n = (size_t)width * height;
  /* lum, chroma, the row quantities (and the shifted rows), the column sums (and min, max), the
   * bases, each column's reference luminance and patch start, ink rows and columns. */
  const size_t floats = 2 * n + (size_t)(QUANTITIES + 2) * width + (size_t)(COLUMN_SUMS + 2) * width + 3 * (size_t)width + 3 * (size_t)height + 2 * (size_t)width + (size_t)cols + (size_t)width;
  float *lum = threadScratch(floats);
  if (!lum) return 0;
  float *chroma = lum + n;
  float *q = chroma + n;
  float *col = q + (size_t)(QUANTITIES + 2) * width;
  float *bx = col + (size_t)(COLUMN_SUMS + 2) * width;
  float *by = bx + 3 * (size_t)width;
  float *ref = by + 3 * (size_t)height;
  int *patchStart = (int *)(ref + width);
  int *inkRows = patchStart + width;
  uint8_t *inkCols = (uint8_t *)(inkRows + cols);
  {
    /* Per-channel tables: the interleaved bytes do not vectorise, and three lookups beat converting each. */
    /* In double, rounded once to float as the TypeScript does, so white paper is exactly 1. */
    double red[256], green[256], blue[256];
    float unit[256];
    for (int k = 0; k < 256; k++) {
      red[k] = 0.299 * k / 255.0;
      green[k] = 0.587 * k / 255.0;
      blue[k] = 0.114 * k / 255.0;
      unit[k] = (float)(k / 255.0);
    }
    for (size_t p = 0; p < n; p++) {
      const int r = rgb[3 * p], g = rgb[3 * p + 1], b = rgb[3 * p + 2];
      lum[p] = (float)(red[r] + green[g] + blue[b]);
      const int max = r > g ? (r > b ? r : b) : (g > b ? g : b), min = r < g ? (r < b ? r : b) : (g < b ? g : b);
      chroma[p] = unit[max - min];
    }
    const float white = (float)(red[255] + green[255] + blue[255]);
    dctBasis(bx, width, cols);
    for (int j = 0; j < cols; j++)
      for (int x = edgeOf(j, width, cols); x < edgeOf(j + 1, width, cols); x++) patchStart[x] = edgeOf(j, width, cols);
    dctBasis(by, height, rows);
    float *lo = col + (size_t)COLUMN_SUMS * width, *hi = lo + width;
    for (int i = 0; i < rows; i++) {
      const int y0 = edgeOf(i, height, rows), y1 = edgeOf(i + 1, height, rows), ph = y1 - y0;
      /* Blank paper across the patch row and the rows next to it (margins, gaps between
       * paragraphs): every patch has the features of white, with no sums needed. */
      if (whiteRows(rgb, width, y0 > 0 ? y0 - 1 : 0, y1 < height ? y1 + 1 : height)) {
        for (int j = 0; j < cols; j++) {
          float *f = features + ((size_t)i * cols + j) * FEATURES;
          memset(f, 0, FEATURES * sizeof(float));
          f[0] = f[2] = f[3] = white;
          contrast[(size_t)i * cols + j] = 0.0f;
        }
        continue;
      }
      memset(col, 0, (size_t)COLUMN_SUMS * width * sizeof(float));
      for (int x = 0; x < width; x++) {
        lo[x] = 2.0f;
        hi[x] = -2.0f;
        ref[x] = lum[(size_t)y0 * width + patchStart[x]];
      }
      memset(inkCols, 0, (size_t)width);
      memset(inkRows, 0, (size_t)cols * sizeof(int));
      for (int y = y0; y < y1; y++) {
        rowQuantities(lum, chroma, width, height, y, y == y0, bx, ref, q, q + (size_t)QUANTITIES * width, q + (size_t)(QUANTITIES + 1) * width);
        const float cy[3] = {by[y], by[height + y], by[2 * height + y]};
        addRow(q, cy, width, col, lo, hi, inkCols);
        const float *ink = q + (size_t)INKS * width;
        for (int j = 0; j < cols; j++) {
          const int x0 = edgeOf(j, width, cols), x1 = edgeOf(j + 1, width, cols);
          int any = 0;
          for (int x = x0; x < x1; x++) any |= ink[x] > 0.0f;
          inkRows[j] += any;
        }
      }
      for (int j = 0; j < cols; j++) {
        const int x0 = edgeOf(j, width, cols), x1 = edgeOf(j + 1, width, cols), pw = x1 - x0;
        /* Independent sums per quantity, one pixel column at a time, so they proceed in parallel. */
        float a[COLUMN_SUMS] = {0};
        float min = 2.0f, max = -2.0f;
        int inkColCount = 0;
        for (int x = x0; x < x1; x++) {
          for (int k = 0; k < COLUMN_SUMS; k++) a[k] += col[(size_t)k * width + x];
          min = lo[x] < min ? lo[x] : min;
          max = hi[x] > max ? hi[x] : max;
          inkColCount += inkCols[x];
        }
        /* A transition is counted between two pixels of the patch: not at its left edge. */
        a[TH] -= col[(size_t)TH * width + x0];
        const double count = pw * ph > 0 ? (double)pw * ph : 1.0;
        const float v0 = ref[x0];
        const double shift = a[V] / count, mean = v0 + shift;
        const double var = a[V2] / count - shift * shift;
        /* A flat patch has no deviation; float sums must not invent one. */
        const double std = min == max || var <= 0 ? 0.0 : sqrt(var);
        float *f = features + ((size_t)i * cols + j) * FEATURES;
        f[0] = (float)mean;
        f[1] = (float)std;
        f[2] = v0 + min;
        f[3] = v0 + max;
        f[4] = (float)(a[INKS] / count);
        f[5] = (float)(a[DARKS] / count);
        f[6] = (float)(a[CHROMA] / count);
        f[7] = (float)(a[MAG] / count);
        f[8] = (float)(a[E0] / count);
        f[9] = (float)(a[E45] / count);
        f[10] = (float)(a[E90] / count);
        f[11] = (float)(a[E135] / count);
        f[12] = (float)(a[TH] / count);
        f[13] = (float)(a[TV] / count);
        f[14] = (float)((double)inkRows[j] / (ph > 0 ? ph : 1));
        f[15] = (float)((double)inkColCount / (pw > 0 ? pw : 1));
        /* DCT terms 1..8 of (u along y, v along x), without the DC term (the mean), scaled by 2/n. */
        for (int k = 1; k < 9; k++) f[15 + k] = (float)(2.0 * a[D00 + k] / count);
        contrast[(size_t)i * cols + j] = (float)(std + a[MAG] / count);
      }
    }
  }
  return 1;
}

/* patchFeatures(rgb: Uint8Array, width, height, rows, cols, features: Float32Array, contrast: Float32Array) */
napi_value patchFeatures(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7) return folioFail(env, "patchFeatures takes 7 arguments");
  void *rgb, *features, *contrast;
  size_t rgbLength, featuresLength, contrastLength;
  int32_t width, height, rows, cols;
  if (!typedArray(env, argv[0], napi_uint8_array, &rgb, &rgbLength)) return folioFail(env, "rgb must be a Uint8Array");
  if (napi_get_value_int32(env, argv[1], &width) != napi_ok || width <= 0) return folioFail(env, "width must be a positive integer");
  if (napi_get_value_int32(env, argv[2], &height) != napi_ok || height <= 0) return folioFail(env, "height must be a positive integer");
  if (napi_get_value_int32(env, argv[3], &rows) != napi_ok || rows <= 0 || rows > height) return folioFail(env, "rows must be 1..height");
  if (napi_get_value_int32(env, argv[4], &cols) != napi_ok || cols <= 0 || cols > width) return folioFail(env, "cols must be 1..width");
  if (!typedArray(env, argv[5], napi_float32_array, &features, &featuresLength)) return folioFail(env, "features must be a Float32Array");
  if (!typedArray(env, argv[6], napi_float32_array, &contrast, &contrastLength)) return folioFail(env, "contrast must be a Float32Array");
  if (rgbLength < (size_t)width * height * 3) return folioFail(env, "rgb holds fewer than width × height × 3 bytes");
  if (featuresLength != (size_t)rows * cols * FEATURES || contrastLength != (size_t)rows * cols) return folioFail(env, "features must be rows·cols × 24 and contrast rows·cols");
  if (!computePatchFeatures(rgb, width, height, rows, cols, features, contrast)) return folioFail(env, "out of memory");
  return NULL;
}
