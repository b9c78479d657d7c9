/*
 * Three steps of the visual-token compression, native (the TypeScript in
 * models/visual/compress/correlation.ts and foreground.ts is their definition and fallback;
 * results agree to float rounding, test/unit/visual-compress.test.ts):
 *
 *   redundancy  token i repeats another when the cosine of their keys exceeds θ, looked for in
 *               its grid neighbourhood and every stride-th token, or everywhere (radius < 0);
 *   foreground  the foreground scorer, an MLP on [z_p, mean of z over p's 3×3 neighbourhood,
 *               mean of z over the image] with one ReLU layer and a sigmoid;
 *   superTokens the soft clustering of tokens into the super tokens of the cells around theirs.
 *
 * Why native: with the built-in encoder each page compresses five images of 576 tokens, and in
 * TypeScript these three took about 8 ms of the page's 13 ms of visual-token work on octave.pdf.
 * All are short dot products (24 features, 16 hidden units, 9 cells) in tight loops.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "folio-native.h"

static float dot(const float *a, const float *b, int dim) {
  float s = 0.0f;
  for (int d = 0; d < dim; d++) s += a[d] * b[d];
  return s;
}

/* redundancy(keys, n, dim, theta, rows, cols, radius, stride, redundant: Uint8Array) */
napi_value redundancy(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 9) return folioFail(env, "redundancy takes 9 arguments");
  void *keysData, *redundantData;
  size_t keysLength, redundantLength;
  int32_t n, dim, rows, cols, radius, stride;
  double theta;
  if (!typedArray(env, argv[0], napi_float32_array, &keysData, &keysLength)) return folioFail(env, "keys must be a Float32Array");
  if (napi_get_value_int32(env, argv[1], &n) != napi_ok || n < 0) return folioFail(env, "n must be a non-negative integer");
  if (napi_get_value_int32(env, argv[2], &dim) != napi_ok || dim <= 0) return folioFail(env, "dim must be a positive integer");
  if (napi_get_value_double(env, argv[3], &theta) != napi_ok) return folioFail(env, "theta must be a number");
  if (napi_get_value_int32(env, argv[4], &rows) != napi_ok || napi_get_value_int32(env, argv[5], &cols) != napi_ok || rows < 0 || cols <= 0) return folioFail(env, "rows and cols must be integers, cols positive");
  if (napi_get_value_int32(env, argv[6], &radius) != napi_ok || napi_get_value_int32(env, argv[7], &stride) != napi_ok || (radius >= 0 && stride <= 0)) return folioFail(env, "radius and stride must be integers, stride positive when radius ≥ 0");
  if (!typedArray(env, argv[8], napi_uint8_array, &redundantData, &redundantLength)) return folioFail(env, "redundant must be a Uint8Array");
  if (keysLength < (size_t)n * dim || redundantLength != (size_t)n) return folioFail(env, "keys must hold n × dim floats and redundant n bytes");
  const float *keys = keysData;
  uint8_t *redundant = redundantData;
  memset(redundant, 0, (size_t)n);
  if (n == 0 || theta >= 1) return NULL;
  float *k = threadScratch((size_t)n * dim);
  if (!k) return folioFail(env, "out of memory");
  for (int i = 0; i < n; i++) {
    const float *row = keys + (size_t)i * dim;
    const float norm = sqrtf(dot(row, row, dim));
    const float inv = 1.0f / (norm > 1e-12f ? norm : 1e-12f);
    for (int d = 0; d < dim; d++) k[(size_t)i * dim + d] = row[d] * inv;
  }
  const float th = (float)theta;
  for (int i = 0; i < n; i++) {
    if (redundant[i]) continue;
    const float *a = k + (size_t)i * dim;
    int match = -1;
    if (radius >= 0) {
      const int r = i / cols, c = i % cols;
      const int y0 = r - radius > 0 ? r - radius : 0, y1 = r + radius < rows - 1 ? r + radius : rows - 1;
      const int x0 = c - radius > 0 ? c - radius : 0, x1 = c + radius < cols - 1 ? c + radius : cols - 1;
      for (int y = y0; y <= y1 && match < 0; y++)
        for (int x = x0; x <= x1; x++) {
          const int j = y * cols + x;
          if (j != i && j < n && dot(a, k + (size_t)j * dim, dim) > th) {
            match = j;
            break;
          }
        }
      for (int j = i % stride; j < n && match < 0; j += stride)
        if (j != i && dot(a, k + (size_t)j * dim, dim) > th) match = j;
    } else {
      for (int j = 0; j < n && match < 0; j++)
        if (j != i && dot(a, k + (size_t)j * dim, dim) > th) match = j;
    }
    if (match >= 0) redundant[i] = redundant[match] = 1;
  }
  return NULL;
}

/*
 * foregroundScores(z, rows, cols, dim, w1t, b1, w2, b2, only: Int32Array | null, out)
 * z: rows·cols × dim standardised features; w1t: hidden × 3·dim (the weights of unit h over
 * [z_p, neighbours, global]); out[p] = σ(b2 + Σ_h w2[h]·ReLU(b1[h] + w1t[h]·inputs_p)) for every
 * p (or every p in `only`).
 */
napi_value foregroundScores(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 10) return folioFail(env, "foregroundScores takes 10 arguments");
  void *zData, *w1tData, *b1Data, *w2Data, *outData, *onlyData = NULL;
  size_t zLength, w1tLength, b1Length, w2Length, outLength, onlyLength = 0;
  int32_t rows, cols, dim;
  double b2;
  if (!typedArray(env, argv[0], napi_float32_array, &zData, &zLength)) return folioFail(env, "z must be a Float32Array");
  if (napi_get_value_int32(env, argv[1], &rows) != napi_ok || napi_get_value_int32(env, argv[2], &cols) != napi_ok || rows <= 0 || cols <= 0) return folioFail(env, "rows and cols must be positive integers");
  if (napi_get_value_int32(env, argv[3], &dim) != napi_ok || dim <= 0) return folioFail(env, "dim must be a positive integer");
  if (!typedArray(env, argv[4], napi_float32_array, &w1tData, &w1tLength)) return folioFail(env, "w1t must be a Float32Array");
  if (!typedArray(env, argv[5], napi_float32_array, &b1Data, &b1Length)) return folioFail(env, "b1 must be a Float32Array");
  if (!typedArray(env, argv[6], napi_float32_array, &w2Data, &w2Length)) return folioFail(env, "w2 must be a Float32Array");
  if (napi_get_value_double(env, argv[7], &b2) != napi_ok) return folioFail(env, "b2 must be a number");
  napi_valuetype onlyType;
  napi_typeof(env, argv[8], &onlyType);
  if (onlyType != napi_null && onlyType != napi_undefined && !typedArray(env, argv[8], napi_int32_array, &onlyData, &onlyLength)) return folioFail(env, "only must be an Int32Array or null");
  if (!typedArray(env, argv[9], napi_float32_array, &outData, &outLength)) return folioFail(env, "out must be a Float32Array");
  const int n = rows * cols, hidden = (int)b1Length, inputs = 3 * dim;
  if (zLength != (size_t)n * dim || outLength != (size_t)n) return folioFail(env, "z must be rows·cols × dim and out rows·cols");
  if (hidden <= 0 || w1tLength != (size_t)hidden * inputs || w2Length != (size_t)hidden) return folioFail(env, "w1t must be hidden × 3·dim and w2 hidden, with hidden = b1's length");
  const float *z = zData, *w1t = w1tData, *b1 = b1Data, *w2 = w2Data;
  const int32_t *only = onlyData;
  float *out = outData;
  for (size_t q = 0; q < onlyLength; q++)
    if (only[q] < 0 || only[q] >= n) return folioFail(env, "only holds a token outside the image");
  /* global mean (dim), the hidden units' bias with the global part folded in (hidden), a neighbourhood mean (dim). */
  float *scratchBuffer = threadScratch((size_t)2 * dim + hidden);
  if (!scratchBuffer) return folioFail(env, "out of memory");
  float *global = scratchBuffer, *bias = global + dim, *neighbours = bias + hidden;
  double sums[256];
  if (dim > 256) return folioFail(env, "dim must be at most 256");
  memset(sums, 0, sizeof(double) * dim);
  for (int p = 0; p < n; p++)
    for (int d = 0; d < dim; d++) sums[d] += z[(size_t)p * dim + d];
  for (int d = 0; d < dim; d++) global[d] = (float)(sums[d] / n);
  for (int h = 0; h < hidden; h++) bias[h] = b1[h] + dot(global, w1t + (size_t)h * inputs + 2 * dim, dim);
  const int count = only ? (int)onlyLength : n;
  for (int q = 0; q < count; q++) {
    const int p = only ? only[q] : q;
    const int i = p / cols, j = p % cols;
    const int y0 = i > 0 ? i - 1 : 0, y1 = i < rows - 1 ? i + 1 : rows - 1;
    const int x0 = j > 0 ? j - 1 : 0, x1 = j < cols - 1 ? j + 1 : cols - 1;
    memset(neighbours, 0, sizeof(float) * dim);
    for (int y = y0; y <= y1; y++)
      for (int x = x0; x <= x1; x++) {
        const float *zq = z + ((size_t)y * cols + x) * dim;
        for (int d = 0; d < dim; d++) neighbours[d] += zq[d];
      }
    const float inv = 1.0f / (float)((y1 - y0 + 1) * (x1 - x0 + 1));
    for (int d = 0; d < dim; d++) neighbours[d] *= inv;
    const float *zp = z + (size_t)p * dim;
    double s = b2;
    for (int h = 0; h < hidden; h++) {
      const float *row = w1t + (size_t)h * inputs;
      const float a = bias[h] + dot(zp, row, dim) + dot(neighbours, row + dim, dim);
      if (a > 0) s += a * w2[h];
    }
    out[p] = (float)(1.0 / (1.0 + exp(-s)));
  }
  return NULL;
}

static double dotDouble(const float *a, const float *b, int dim) {
  double s = 0.0;
  for (int d = 0; d < dim; d++) s += (double)a[d] * b[d];
  return s;
}

/* The association of every participating token with the super tokens of the 3×3 cells around its own. */
static void associate(const float *x, const float *tokens, const int32_t *neighbours, const uint8_t *mask, int n, int m, int dim, double temperature, const double *xNorms, double *superNorms, float *association) {
  if (temperature > 0)
    for (int c = 0; c < m; c++) {
      const double norm = sqrt(dotDouble(tokens + (size_t)c * dim, tokens + (size_t)c * dim, dim));
      superNorms[c] = norm > 1e-12 ? norm : 1e-12;
    }
  const double scale = 1.0 / sqrt((double)dim);
  for (int p = 0; p < n; p++) {
    if (mask && mask[p] != 1) continue;
    double logits[9], max = -INFINITY;
    for (int k = 0; k < 9; k++) {
      const int c = neighbours[p * 9 + k];
      if (c < 0) {
        logits[k] = -INFINITY;
        continue;
      }
      const double s = dotDouble(x + (size_t)p * dim, tokens + (size_t)c * dim, dim);
      logits[k] = temperature > 0 ? s / (xNorms[p] * superNorms[c] * temperature) : s * scale;
      if (logits[k] > max) max = logits[k];
    }
    double e[9], sum = 0.0;
    for (int k = 0; k < 9; k++) {
      e[k] = logits[k] == -INFINITY ? 0.0 : exp(logits[k] - max);
      sum += e[k];
    }
    /* Rounded to float before the division, as the TypeScript stores them. */
    for (int k = 0; k < 9; k++) association[p * 9 + k] = (float)((float)e[k] / sum);
  }
}

/*
 * superTokens(x, rows, cols, dim, cellRows, cellCols, iterations, temperature, mask | null,
 *             tokens, neighbours, association, mass, members, assignment)
 * The outputs are allocated by the caller (models/visual/compress/super-tokens.ts, which defines
 * the method) and zeroed; neighbours and assignment are filled here entirely.
 */
napi_value superTokens(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 15) return folioFail(env, "superTokens takes 15 arguments");
  void *xData, *maskData = NULL, *tokensData, *neighboursData, *associationData, *massData, *membersData, *assignmentData;
  size_t xLength, maskLength = 0, tokensLength, neighboursLength, associationLength, massLength, membersLength, assignmentLength;
  int32_t rows, cols, dim, h, w, iterations;
  double temperature;
  if (!typedArray(env, argv[0], napi_float32_array, &xData, &xLength)) return folioFail(env, "x must be a Float32Array");
  if (napi_get_value_int32(env, argv[1], &rows) != napi_ok || napi_get_value_int32(env, argv[2], &cols) != napi_ok || rows <= 0 || cols <= 0) return folioFail(env, "rows and cols must be positive integers");
  if (napi_get_value_int32(env, argv[3], &dim) != napi_ok || dim <= 0) return folioFail(env, "dim must be a positive integer");
  if (napi_get_value_int32(env, argv[4], &h) != napi_ok || napi_get_value_int32(env, argv[5], &w) != napi_ok || h <= 0 || w <= 0) return folioFail(env, "the cell size must be positive");
  if (napi_get_value_int32(env, argv[6], &iterations) != napi_ok || iterations < 0) return folioFail(env, "iterations must be a non-negative integer");
  if (napi_get_value_double(env, argv[7], &temperature) != napi_ok) return folioFail(env, "temperature must be a number (0: none)");
  napi_valuetype maskType;
  napi_typeof(env, argv[8], &maskType);
  if (maskType != napi_null && maskType != napi_undefined && !typedArray(env, argv[8], napi_uint8_array, &maskData, &maskLength)) return folioFail(env, "mask must be a Uint8Array or null");
  if (!typedArray(env, argv[9], napi_float32_array, &tokensData, &tokensLength) || !typedArray(env, argv[10], napi_int32_array, &neighboursData, &neighboursLength) ||
      !typedArray(env, argv[11], napi_float32_array, &associationData, &associationLength) || !typedArray(env, argv[12], napi_float32_array, &massData, &massLength) ||
      !typedArray(env, argv[13], napi_int32_array, &membersData, &membersLength) || !typedArray(env, argv[14], napi_int32_array, &assignmentData, &assignmentLength))
    return folioFail(env, "the outputs must be tokens, association, mass: Float32Array; neighbours, members, assignment: Int32Array");
  const int n = rows * cols, gr = (rows + h - 1) / h, gc = (cols + w - 1) / w, m = gr * gc;
  if (xLength != (size_t)n * dim || (maskData && maskLength != (size_t)n)) return folioFail(env, "x must be rows·cols × dim and mask rows·cols");
  if (tokensLength != (size_t)m * dim || neighboursLength != (size_t)n * 9 || associationLength != (size_t)n * 9 || massLength != (size_t)m || membersLength != (size_t)m || assignmentLength != (size_t)n)
    return folioFail(env, "the outputs do not have the sizes of the grid and its cells");
  const float *x = xData;
  const uint8_t *mask = maskData;
  float *tokens = tokensData, *association = associationData, *mass = massData;
  int32_t *neighbours = neighboursData, *members = membersData, *assignment = assignmentData;
  /* Per cell: counts, all-token counts, weights, super-token norms; per cell and dim: sums, all-token sums; per token: norms. */
  double *buffer = malloc(sizeof(double) * ((size_t)4 * m + (size_t)2 * m * dim + n));
  if (!buffer) return folioFail(env, "out of memory");
  double *counts = buffer, *allCounts = counts + m, *weights = allCounts + m, *superNorms = weights + m;
  double *sums = superNorms + m, *allSums = sums + (size_t)m * dim, *xNorms = allSums + (size_t)m * dim;
  memset(buffer, 0, sizeof(double) * ((size_t)4 * m + (size_t)2 * m * dim));
  for (int p = 0; p < n; p++) {
    const int c = (p / cols / h) * gc + (p % cols) / w;
    const float *xp = x + (size_t)p * dim;
    allCounts[c]++;
    for (int d = 0; d < dim; d++) allSums[(size_t)c * dim + d] += xp[d];
    if (mask && mask[p] != 1) continue;
    counts[c]++;
    for (int d = 0; d < dim; d++) sums[(size_t)c * dim + d] += xp[d];
  }
  /* A cell no participating token falls in starts as the mean of all its tokens. */
  for (int c = 0; c < m; c++) {
    const int useAll = counts[c] == 0;
    const double count = useAll ? allCounts[c] : counts[c];
    for (int d = 0; d < dim; d++) tokens[(size_t)c * dim + d] = count > 0 ? (float)((useAll ? allSums : sums)[(size_t)c * dim + d] / count) : 0.0f;
  }
  for (int p = 0; p < n; p++) {
    const int cr = p / cols / h, cc = (p % cols) / w;
    int at = 0;
    for (int dr = -1; dr <= 1; dr++)
      for (int dc = -1; dc <= 1; dc++, at++) {
        const int r = cr + dr, c = cc + dc;
        neighbours[p * 9 + at] = r >= 0 && r < gr && c >= 0 && c < gc ? r * gc + c : -1;
      }
    if (temperature > 0) {
      const double norm = sqrt(dotDouble(x + (size_t)p * dim, x + (size_t)p * dim, dim));
      xNorms[p] = norm > 1e-12 ? norm : 1e-12;
    } else {
      xNorms[p] = 1.0;
    }
  }
  for (int it = 0; it < iterations; it++) {
    associate(x, tokens, neighbours, mask, n, m, dim, temperature, xNorms, superNorms, association);
    memset(sums, 0, sizeof(double) * (size_t)m * dim);
    memset(weights, 0, sizeof(double) * m);
    for (int p = 0; p < n; p++) {
      if (mask && mask[p] != 1) continue;
      for (int k = 0; k < 9; k++) {
        const int c = neighbours[p * 9 + k];
        const float q = association[p * 9 + k];
        if (c < 0 || q == 0.0f) continue;
        weights[c] += q;
        for (int d = 0; d < dim; d++) sums[(size_t)c * dim + d] += (double)q * x[(size_t)p * dim + d];
      }
    }
    for (int c = 0; c < m; c++)
      if (weights[c] > 0)
        for (int d = 0; d < dim; d++) tokens[(size_t)c * dim + d] = (float)(sums[(size_t)c * dim + d] / weights[c]);
  }
  associate(x, tokens, neighbours, mask, n, m, dim, temperature, xNorms, superNorms, association);
  for (int p = 0; p < n; p++) {
    assignment[p] = -1;
    if (mask && mask[p] != 1) continue;
    /* Strongest association; near-ties go to the token's own cell (slot 4), then the lower slot. */
    int best = 4;
    for (int k = 0; k < 9; k++)
      if ((double)association[p * 9 + k] > (double)association[p * 9 + best] + 1e-6) best = k;
    assignment[p] = neighbours[p * 9 + best];
    members[assignment[p]]++;
    for (int k = 0; k < 9; k++) {
      const int c = neighbours[p * 9 + k];
      if (c >= 0) mass[c] += association[p * 9 + k];
    }
  }
  free(buffer);
  return NULL;
}
