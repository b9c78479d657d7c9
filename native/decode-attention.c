/*
 * Folio's native decode-step attention (models/llm/native-attention.ts loads it; optional: without
 * it the onnxruntime graphs run instead).
 *
 * One decode step of one layer: for every query head h of KV head g,
 *   o_h = softmax(q_h · K_Sᵀ / √d) · V_S
 * over the positions S a policy chose — a range [lo, lo + count), a list shared by every KV head,
 * or a list per KV head — read straight from Folio's cache ([kvHead][capacity][d] floats, keys
 * after RoPE). Optionally also the pre-softmax logits summed over every query head, per position
 * (TidalDecode's selection layers).
 *
 * Why a hand-written kernel: onnxruntime runs a gathered decode attention as Gather (a copy of
 * every selected row), then MatMul, Softmax, MatMul, each its own pass and thread-pool dispatch.
 * Here each row is read once from the cache, dotted with the whole query-head group while it is in
 * L1, and the next rows are prefetched. Measured on 2 cores, 4 KV heads, d = 64, 32K cached
 * positions, same process (tmp A/B over 20 distinct layers): 2048 selected positions 0.60–0.73 ms
 * per layer against onnxruntime's 0.99–1.19 ms; the dense range 4.7–5.6 ms against 6.4–7.7 ms.
 *
 * Work split: the positions are cut into slices (the same cut in every KV head); T threads claim
 * slices one at a time and keep each slice's partial softmax (max, sum, weighted values); the
 * calling thread merges them in slice order (flash-decoding), so the result does not depend on
 * which thread took which slice.
 * Threads persist between calls; between calls they poll for a few ms (pollForJob), then sleep on
 * a condition variable. The caller never waits for a helper that has not woken yet: it does every
 * part no helper claimed, then spins only while helpers finish the slice in hand (see runJob). Against a caller that slept until every helper
 * had reported, in whole decode steps (32 layers, int4, 32K cached, same process, 10–14 steps
 * each): a gathered layer 0.465 against 0.511 ms (median), TidalDecode 52.0 against 55.8 and
 * 58.2 against 64.5 ms per token, and once 77.1 against 75.2 on a slow machine.
 * Calls are serialised by a mutex, so several models in one process (worker threads) stay
 * correct.
 *
 * Built by scripts/build-native.mjs (node-gyp, binding.gyp). Compiled with -ffast-math (minus
 * finite-math-only) so the dot products and exp vectorise; results match the TypeScript kernel
 * to ~1e-6 (test/unit/llm-native-attention.test.ts).
 */
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "folio-native.h"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && defined(__linux__)
/* One build runs well on any x86-64: the loader picks the widest vector unit present (the hot
 * loop is cloned whole so its helpers inline into each clone). */
#define HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOT
#endif

#define MAX_THREADS 16
/* Rows ahead to prefetch when positions are a list (a range streams and needs no help). */
#ifndef PREFETCH_AHEAD
#define PREFETCH_AHEAD 12
#endif
/* Below this many positions per head one thread does the whole layer (waking another costs more). */
#define MIN_PER_THREAD 256
/*
 * Attention splits the positions into slices that the threads claim one at a time, so a helper
 * that wakes late (25–180 µs after the call starts, measured here) takes fewer slices instead of
 * the caller waiting for its half. Slices hold at least SLICE_MIN positions; at most MAX_SLICES
 * partial softmaxes are merged per call. Against the earlier fixed halves, in whole decode steps
 * (32 layers, int4, 32K cached, same process, 14 steps each): TidalDecode 58.0 against 62.7 and
 * 64.2 against 66.5 ms per token; dense unchanged.
 */
#define SLICE_MIN 128
#define MAX_SLICES 64
/* Query group × head size that accumulates on the stack (larger ones use the heap slot). */
#define MAX_GROUP_DIM 2048

typedef struct {
  const float *q, *keys, *values;
  int64_t capacity;
  int kvHeads, group, dim;
  float scale;
  /* Per KV head: a position list, or NULL for the range [lo, lo + counts[g]). */
  const int32_t *lists[64];
  int32_t counts[64];
  int32_t lo;
  float *sums; /* NULL, or [counts[0]] logit sums (lists shared by every head, or a range) */
  /*
   * TokenSelect's soft votes instead of attention: votes[g·count + i] = Σ over the query heads of
   * KV head g of softmax(q·K_range)[i]. Phase 0 keeps each part's exponentials in its scratch
   * (one block per KV head); phase 1 scales them by the merged softmax weights in `partAcc`.
   */
  float *votes;
  int phase;
  /* Threads working on the call, and the slices of positions they share (votes: one per part). */
  int parts, slices;
  atomic_int nextSlice;
  /* Per slice: [kvHeads·group] maxima and sums, [kvHeads·group·dim] weighted values. */
  float *partMax, *partSum, *partAcc;
  /* Per part: logits of the slice in hand. */
  float *scratch[MAX_THREADS];
  /* Per part: set by the thread that runs it (a helper that woke in time, else the caller). */
  atomic_int claimed[MAX_THREADS];
} Job;

static inline float dot(const float *restrict a, const float *restrict b, int n) {
  float s = 0;
  for (int c = 0; c < n; c++) s += a[c] * b[c];
  return s;
}

static inline void axpy(float *restrict acc, float p, const float *restrict row, int n) {
  for (int c = 0; c < n; c++) acc[c] += p * row[c];
}

/*
 * e^x for x ≤ 0 (a logit minus the row's maximum), branch-free so the loop over a row vectorises
 * (libm's expf is a call per element): Cody–Waite reduction to r in [−ln2/2, ln2/2], Cephes'
 * degree-6 polynomial, 2^n built in the exponent bits. Relative error ~1e-7; below −87 it returns
 * e^−87 ≈ 1.6e-38 instead of a denormal or 0, which no sum of ≥ 1 can notice.
 */
static inline float expNonPositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float n = floorf(x * 1.44269504088896341f + 0.5f);
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  union {
    int32_t i;
    float f;
  } scale = {.i = ((int32_t)n + 127) << 23};
  return p * scale.f;
}

static inline float expShifted(float *s, int n, float max) {
  float sum = 0;
  for (int i = 0; i < n; i++) {
    s[i] = expNonPositive(s[i] - max);
    sum += s[i];
  }
  return sum;
}

static inline void prefetchRow(const float *row, int dim) {
  const char *p = (const char *)row;
  for (int c = 0; c < dim * 4; c += 64) __builtin_prefetch(p + c);
}

/*
 * One slice of one KV head: positions [from, to) of its list or range, into the slice's partial
 * softmax. Inlined with `d` a constant for the common head sizes so each dot product and row
 * update unrolls into a few vector instructions (a runtime `d` costs ~40% at 32K positions).
 */
static inline __attribute__((always_inline)) void sliceHead(const Job *job, int slice, float *scratch, int g, const int d) {
  const int group = job->group;
  const int count = job->counts[g];
  const int from = (int)((int64_t)count * slice / job->slices), to = (int)((int64_t)count * (slice + 1) / job->slices);
  const int n = to - from;
  const int32_t *list = job->lists[g];
  const float *keys = job->keys + (int64_t)g * job->capacity * d;
  const float *values = job->values + (int64_t)g * job->capacity * d;
  const int firstHead = g * group;
  float *partMax = job->partMax + (int64_t)slice * job->kvHeads * group + firstHead;
  float *partSum = job->partSum + (int64_t)slice * job->kvHeads * group + firstHead;
  float *partAcc = job->partAcc + ((int64_t)slice * job->kvHeads * group + firstHead) * d;
  memset(partAcc, 0, sizeof(float) * group * d);
  if (n <= 0) {
    for (int j = 0; j < group; j++) {
      partMax[j] = -INFINITY;
      partSum[j] = 0;
    }
    return;
  }
  /* Logits: each key row dotted with the whole query group while it is in L1. */
  for (int i = 0; i < n; i++) {
    const int64_t at = list ? list[from + i] : job->lo + from + i;
    if (list && i + PREFETCH_AHEAD < n) prefetchRow(keys + (int64_t)list[from + i + PREFETCH_AHEAD] * d, d);
    const float *row = keys + at * d;
    for (int j = 0; j < group; j++) scratch[j * n + i] = dot(job->q + (int64_t)(firstHead + j) * d, row, d) * job->scale;
  }
  if (job->sums) {
    float *sums = job->sums + from;
    if (g == 0) memset(sums, 0, sizeof(float) * n);
    for (int j = 0; j < group; j++)
      for (int i = 0; i < n; i++) sums[i] += scratch[j * n + i];
  }
  for (int j = 0; j < group; j++) {
    float *s = scratch + j * n;
    float max = -INFINITY;
    for (int i = 0; i < n; i++) max = s[i] > max ? s[i] : max;
    partMax[j] = max;
    partSum[j] = expShifted(s, n, max);
  }
  /*
   * Weighted values: one pass over the value rows, each added to every head of the group. The
   * sums build in a local array the compiler can keep in registers (the part's slot could alias
   * the cache as far as it knows).
   */
  float local[MAX_GROUP_DIM];
  float *acc = group * d <= MAX_GROUP_DIM ? local : partAcc;
  memset(acc, 0, sizeof(float) * group * d);
  for (int i = 0; i < n; i++) {
    const int64_t at = list ? list[from + i] : job->lo + from + i;
    if (list && i + PREFETCH_AHEAD < n) prefetchRow(values + (int64_t)list[from + i + PREFETCH_AHEAD] * d, d);
    const float *row = values + at * d;
    for (int j = 0; j < group; j++) axpy(acc + j * d, scratch[j * n + i], row, d);
  }
  if (acc != partAcc) memcpy(partAcc, acc, sizeof(float) * group * d);
}

/*
 * Soft votes, phase 0: the logits of one KV head's share of the range, exponentiated against the
 * part's own maximum (kept in scratch block g), and the part's maxima and sums.
 */
static inline __attribute__((always_inline)) void votesHead(const Job *job, int part, int g, const int d) {
  const int group = job->group, count = job->counts[g];
  const int from = (int)((int64_t)count * part / job->parts), to = (int)((int64_t)count * (part + 1) / job->parts);
  const int n = to - from, width = count / job->parts + 1;
  float *scratch = job->scratch[part] + (int64_t)g * group * width;
  const float *keys = job->keys + ((int64_t)g * job->capacity + job->lo + from) * d;
  float *partMax = job->partMax + (int64_t)part * job->kvHeads * group + g * group;
  float *partSum = job->partSum + (int64_t)part * job->kvHeads * group + g * group;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < group; j++) scratch[j * width + i] = dot(job->q + (int64_t)(g * group + j) * d, keys + (int64_t)i * d, d) * job->scale;
  for (int j = 0; j < group; j++) {
    float *s = scratch + j * width;
    float max = -INFINITY;
    for (int i = 0; i < n; i++) max = s[i] > max ? s[i] : max;
    partMax[j] = n > 0 ? max : -INFINITY;
    partSum[j] = n > 0 ? expShifted(s, n, max) : 0;
  }
}

/* Soft votes, phase 1: each position's vote, Σ_j weight_j · e_j, with the merged weights. */
static HOT void votesFinish(const Job *job, int part) {
  const int group = job->group;
  for (int g = 0; g < job->kvHeads; g++) {
    const int count = job->counts[g];
    const int from = (int)((int64_t)count * part / job->parts), to = (int)((int64_t)count * (part + 1) / job->parts);
    const int n = to - from, width = count / job->parts + 1;
    const float *scratch = job->scratch[part] + (int64_t)g * group * width;
    const float *weights = job->partAcc + (int64_t)part * job->kvHeads * group + g * group;
    float *votes = job->votes + (int64_t)g * count + from;
    for (int i = 0; i < n; i++) votes[i] = 0;
    for (int j = 0; j < group; j++)
      for (int i = 0; i < n; i++) votes[i] += weights[j] * scratch[j * width + i];
  }
}

static HOT void runPart(Job *job, int part) {
  if (job->votes) {
    if (job->phase == 1) {
      votesFinish(job, part);
      return;
    }
    for (int g = 0; g < job->kvHeads; g++) {
      if (job->dim == 64) votesHead(job, part, g, 64);
      else if (job->dim == 128) votesHead(job, part, g, 128);
      else votesHead(job, part, g, job->dim);
    }
    return;
  }
  /* Every KV head of a slice in one go: its logit sums are then written by one thread. */
  for (int slice; (slice = atomic_fetch_add_explicit(&job->nextSlice, 1, memory_order_relaxed)) < job->slices;) {
    for (int g = 0; g < job->kvHeads; g++) {
      if (job->dim == 64) sliceHead(job, slice, job->scratch[part], g, 64);
      else if (job->dim == 128) sliceHead(job, slice, job->scratch[part], g, 128);
      else sliceHead(job, slice, job->scratch[part], g, job->dim);
    }
  }
}

/* ---- persistent helper threads ---- */

static pthread_mutex_t callLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t poolLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
/*
 * The call helpers may join, under poolLock. A helper joins only while `joinable` is set, and
 * counts itself in `inside` before it lets go of the lock; the caller clears `joinable` when its
 * own share is done and then waits for `inside` to drain. So a helper never touches a Job after
 * its call returned (the Job lives on the caller's stack), and the caller never waits for a
 * helper that has not woken up yet.
 */
static Job *current = NULL;
static int currentParts = 0, joinable = 0;
static uint64_t generation = 0;
static atomic_int inside = 0;
static int helpers = 0;

typedef struct {
  int part;
  uint64_t seen; /* the generation when it was created: it waits for the next one */
} Helper;

static inline void cpuRelax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/*
 * Before a helper sleeps, it polls for the next call for up to POLL_NS, yielding its core at every
 * turn. On a VM an idle vCPU halts, and a thread woken on it runs 25–180 µs later (measured here;
 * the guest does not poll before halting). A decode step calls attention once per layer, about a
 * millisecond apart, so a helper that polls joins each call at its start. sched_yield() hands the
 * core to any other runnable thread first: onnxruntime's pool thread computing the linear layers
 * between two calls, or anything else on the machine. A plain spin (pause) would hold the core
 * against that thread and was no faster. Same process, alternating steps (32 layers, int4, 32K
 * cached, 10 steps per arm, median ms/token), TidalDecode without polling against polling 3 ms:
 * 56.5 against 50.9 and 52.9 against 48.3; dense 168.9 against 170.9 and 162.3 against 163.9.
 * CPU time per TidalDecode token rose from 81–88 ms to 95–101 ms (the polling core's yields).
 */
#define POLL_NS 3000000LL

static long long nanosNow(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void pollForJob(uint64_t seen) {
  const long long until = nanosNow() + POLL_NS;
  while (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == seen && nanosNow() < until) sched_yield();
}

/* Runs `part` unless another thread already has. */
static void claimPart(Job *job, int part) {
  if (atomic_exchange_explicit(&job->claimed[part], 1, memory_order_acq_rel) == 0) runPart(job, part);
}

static void *helperMain(void *arg) {
  const int part = ((Helper *)arg)->part;
  uint64_t seen = ((Helper *)arg)->seen;
  free(arg);
  pthread_mutex_lock(&poolLock);
  for (;;) {
    if (generation == seen) {
      pthread_mutex_unlock(&poolLock);
      pollForJob(seen);
      pthread_mutex_lock(&poolLock);
    }
    while (generation == seen) pthread_cond_wait(&wake, &poolLock);
    seen = generation;
    if (!joinable || part >= currentParts) continue; /* too late, or not needed by this call */
    Job *job = current;
    atomic_fetch_add_explicit(&inside, 1, memory_order_relaxed);
    pthread_mutex_unlock(&poolLock);
    claimPart(job, part);
    atomic_fetch_sub_explicit(&inside, 1, memory_order_release);
    pthread_mutex_lock(&poolLock);
  }
  return NULL;
}

/* Starts helpers 1..parts-1 that do not exist yet; returns how many parts can run. */
static int ensureHelpers(int parts) {
  while (helpers + 1 < parts) {
    Helper *h = malloc(sizeof(Helper));
    if (!h) break;
    h->part = helpers + 1;
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&poolLock);
    h->seen = generation;
    const int ok = pthread_create(&thread, &attr, helperMain, h) == 0;
    if (ok) helpers++;
    pthread_mutex_unlock(&poolLock);
    pthread_attr_destroy(&attr);
    if (!ok) {
      free(h);
      break;
    }
  }
  return parts < helpers + 1 ? parts : helpers + 1;
}

/*
 * Runs every part of the job. The caller takes part 0 (with slices: every slice no helper has
 * claimed), then every part no helper has claimed, then spins while helpers finish the part in
 * hand: a sleeping caller would wake 25–180 µs late on this VM.
 */
static void runJob(Job *job) {
  for (int p = 0; p < job->parts; p++) atomic_init(&job->claimed[p], 0);
  if (job->parts > 1) {
    pthread_mutex_lock(&poolLock);
    current = job;
    currentParts = job->parts;
    joinable = 1;
    __atomic_store_n(&generation, generation + 1, __ATOMIC_RELEASE); /* polling helpers read it unlocked */
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&poolLock);
  }
  for (int p = 0; p < job->parts; p++) claimPart(job, p);
  if (job->parts > 1) {
    pthread_mutex_lock(&poolLock);
    joinable = 0;
    pthread_mutex_unlock(&poolLock);
    while (atomic_load_explicit(&inside, memory_order_acquire) > 0) cpuRelax();
  }
}

/* Flash-decoding merge of the slices' partial softmaxes into out [kvHeads·group·dim]. */
static void mergeParts(const Job *job, float *out) {
  const int heads = job->kvHeads * job->group, d = job->dim;
  for (int h = 0; h < heads; h++) {
    float max = -INFINITY;
    for (int p = 0; p < job->slices; p++) max = job->partMax[p * heads + h] > max ? job->partMax[p * heads + h] : max;
    float total = 0;
    float *o = out + (int64_t)h * d;
    memset(o, 0, sizeof(float) * d);
    for (int p = 0; p < job->slices; p++) {
      if (job->partSum[p * heads + h] == 0) continue;
      const float w = expf(job->partMax[p * heads + h] - max);
      total += w * job->partSum[p * heads + h];
      axpy(o, w, job->partAcc + ((int64_t)p * heads + h) * d, d);
    }
    const float inv = 1 / total;
    for (int c = 0; c < d; c++) o[c] *= inv;
  }
}

/* Soft votes: each part's weight e^(m_p − M) / L per query head, into partAcc, from the merged softmax. */
static void voteWeights(const Job *job) {
  const int heads = job->kvHeads * job->group;
  for (int h = 0; h < heads; h++) {
    float max = -INFINITY;
    for (int p = 0; p < job->slices; p++) max = job->partMax[p * heads + h] > max ? job->partMax[p * heads + h] : max;
    float total = 0;
    for (int p = 0; p < job->slices; p++)
      if (job->partSum[p * heads + h] > 0) total += expf(job->partMax[p * heads + h] - max) * job->partSum[p * heads + h];
    for (int p = 0; p < job->slices; p++) job->partAcc[p * heads + h] = job->partSum[p * heads + h] > 0 ? expf(job->partMax[p * heads + h] - max) / total : 0;
  }
}

/* Scratch that grows and is kept between calls (guarded by callLock). */
static float *buffers[MAX_THREADS + 3];
static size_t bufferSizes[MAX_THREADS + 3];

static float *buffer(int which, size_t floats) {
  if (bufferSizes[which] < floats) {
    free(buffers[which]);
    const size_t size = floats + floats / 4;
    buffers[which] = malloc(size * sizeof(float));
    bufferSizes[which] = buffers[which] ? size : 0;
  }
  return buffers[which];
}

/* ---- N-API glue ---- */

static int isNull(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_null || type == napi_undefined);
}

/* The fields every call shares, from its checked arguments; an error message, or NULL. */
static const char *describeCall(Job *job, const float *q, size_t qLength, const float *keys, size_t keysLength, int64_t capacity, int kvHeads, int32_t lo) {
  const int64_t perHead = keysLength / (size_t)kvHeads;
  if (keysLength % (size_t)kvHeads != 0 || perHead % capacity != 0) return "keys and values must be [kvHeads × capacity × d]";
  const int dim = (int)(perHead / capacity);
  if (dim <= 0 || qLength % (size_t)dim != 0 || (qLength / dim) % kvHeads != 0) return "q must be [heads × d] with heads a multiple of kvHeads";
  job->q = q;
  job->keys = keys;
  job->capacity = capacity;
  job->kvHeads = kvHeads;
  job->dim = dim;
  job->group = (int)(qLength / dim / kvHeads);
  job->scale = 1.0f / sqrtf((float)dim);
  job->lo = lo;
  return NULL;
}

/*
 * With callLock held: starts the helpers the call can use and sizes the shared buffers, with
 * `accPerHead` floats per query head and slice in partAcc and `scratchPerPosition` floats per
 * position of a slice in each part's scratch. `sliced`: attention, whose threads claim slices;
 * otherwise (soft votes) one slice per part. Returns 0 when out of memory.
 */
static int prepareParts(Job *job, int threads, int widest, size_t accPerHead, size_t scratchPerPosition, int sliced) {
  int parts = threads < MAX_THREADS ? threads : MAX_THREADS;
  if (widest / MIN_PER_THREAD < parts) parts = widest / MIN_PER_THREAD > 1 ? widest / MIN_PER_THREAD : 1;
  job->parts = ensureHelpers(parts);
  int slices = job->parts;
  if (sliced && job->parts > 1) {
    slices = widest / SLICE_MIN < MAX_SLICES ? widest / SLICE_MIN : MAX_SLICES;
    slices = slices > job->parts ? slices : job->parts;
  }
  job->slices = slices;
  atomic_init(&job->nextSlice, 0);
  const size_t heads = (size_t)job->kvHeads * job->group;
  job->partMax = buffer(MAX_THREADS, heads * slices);
  job->partSum = buffer(MAX_THREADS + 1, heads * slices);
  job->partAcc = buffer(MAX_THREADS + 2, heads * slices * accPerHead);
  if (!job->partMax || !job->partSum || !job->partAcc) return 0;
  for (int p = 0; p < job->parts; p++) {
    job->scratch[p] = buffer(p, scratchPerPosition * (size_t)(widest / slices + 1));
    if (!job->scratch[p]) return 0;
  }
  return 1;
}

/*
 * attend(q, keys, values, capacity, kvHeads, threads, lo, counts, lists, out, sums)
 *   q: Float32Array [heads·d]; keys, values: Float32Array [kvHeads·capacity·d]
 *   counts: Int32Array [kvHeads]; lists: null (range from lo) or an array of kvHeads Int32Arrays
 *   (the same array repeated for a shared list); out: Float32Array [heads·d]
 *   sums: null or Float32Array ≥ counts[0] (every head must then read the same positions)
 */
napi_value attend(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 11) return folioFail(env, "attend takes 11 arguments");
  Job job;
  memset(&job, 0, sizeof job);
  void *q, *keys, *values, *counts, *out, *sums = NULL;
  size_t qLength, keysLength, valuesLength, countsLength, outLength, sumsLength = 0;
  int64_t capacity;
  int32_t kvHeads, threads, lo;
  if (!typedArray(env, argv[0], napi_float32_array, &q, &qLength)) return folioFail(env, "q must be a Float32Array");
  if (!typedArray(env, argv[1], napi_float32_array, &keys, &keysLength)) return folioFail(env, "keys must be a Float32Array");
  if (!typedArray(env, argv[2], napi_float32_array, &values, &valuesLength)) return folioFail(env, "values must be a Float32Array");
  if (napi_get_value_int64(env, argv[3], &capacity) != napi_ok || capacity <= 0) return folioFail(env, "capacity must be a positive integer");
  if (napi_get_value_int32(env, argv[4], &kvHeads) != napi_ok || kvHeads <= 0 || kvHeads > 64) return folioFail(env, "kvHeads must be 1..64");
  if (napi_get_value_int32(env, argv[5], &threads) != napi_ok || threads <= 0) return folioFail(env, "threads must be a positive integer");
  if (napi_get_value_int32(env, argv[6], &lo) != napi_ok || lo < 0) return folioFail(env, "lo must be a non-negative integer");
  if (!typedArray(env, argv[7], napi_int32_array, &counts, &countsLength) || countsLength != (size_t)kvHeads) return folioFail(env, "counts must be an Int32Array of kvHeads entries");
  if (!typedArray(env, argv[9], napi_float32_array, &out, &outLength)) return folioFail(env, "out must be a Float32Array");
  if (!isNull(env, argv[10]) && !typedArray(env, argv[10], napi_float32_array, &sums, &sumsLength)) return folioFail(env, "sums must be null or a Float32Array");
  if (keysLength != valuesLength) return folioFail(env, "keys and values must have the same length");
  if (outLength != qLength) return folioFail(env, "out must have q's length");
  const char *problem = describeCall(&job, q, qLength, keys, keysLength, capacity, kvHeads, lo);
  if (problem) return folioFail(env, problem);
  job.values = values;
  int widest = 0;
  const int listed = !isNull(env, argv[8]);
  for (int g = 0; g < kvHeads; g++) {
    const int32_t count = ((int32_t *)counts)[g];
    if (count <= 0) return folioFail(env, "attention over an empty set of positions");
    job.counts[g] = count;
    widest = count > widest ? count : widest;
    if (!listed) {
      if ((int64_t)lo + count > capacity) return folioFail(env, "range runs past the cache capacity");
      continue;
    }
    napi_value element;
    void *list;
    size_t listLength;
    if (napi_get_element(env, argv[8], (uint32_t)g, &element) != napi_ok || !typedArray(env, element, napi_int32_array, &list, &listLength) || listLength < (size_t)count)
      return folioFail(env, "lists must hold an Int32Array of at least counts[g] positions per KV head");
    for (int i = 0; i < count; i++)
      if (((int32_t *)list)[i] < 0 || ((int32_t *)list)[i] >= capacity) return folioFail(env, "a position lies outside the cache");
    job.lists[g] = list;
  }
  if (sums) {
    for (int g = 1; g < kvHeads; g++)
      if (job.counts[g] != job.counts[0] || job.lists[g] != job.lists[0]) return folioFail(env, "logit sums need positions shared by every KV head");
    if (sumsLength < (size_t)job.counts[0]) return folioFail(env, "sums is shorter than the positions");
    job.sums = sums;
  }
  pthread_mutex_lock(&callLock);
  const int ok = prepareParts(&job, threads, widest, (size_t)job.dim, (size_t)job.group, 1);
  if (ok) {
    runJob(&job);
    mergeParts(&job, out);
  }
  pthread_mutex_unlock(&callLock);
  if (!ok) return folioFail(env, "out of memory for attention scratch");
  return NULL;
}

/*
 * softVotes(q, keys, capacity, kvHeads, threads, lo, count, votes)
 *   every KV head votes over positions [lo, lo + count); votes: Float32Array [kvHeads·count]
 */
napi_value softVotes(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8) return folioFail(env, "softVotes takes 8 arguments");
  Job job;
  memset(&job, 0, sizeof job);
  void *q, *keys, *votes;
  size_t qLength, keysLength, votesLength;
  int64_t capacity;
  int32_t kvHeads, threads, lo, count;
  if (!typedArray(env, argv[0], napi_float32_array, &q, &qLength)) return folioFail(env, "q must be a Float32Array");
  if (!typedArray(env, argv[1], napi_float32_array, &keys, &keysLength)) return folioFail(env, "keys must be a Float32Array");
  if (napi_get_value_int64(env, argv[2], &capacity) != napi_ok || capacity <= 0) return folioFail(env, "capacity must be a positive integer");
  if (napi_get_value_int32(env, argv[3], &kvHeads) != napi_ok || kvHeads <= 0 || kvHeads > 64) return folioFail(env, "kvHeads must be 1..64");
  if (napi_get_value_int32(env, argv[4], &threads) != napi_ok || threads <= 0) return folioFail(env, "threads must be a positive integer");
  if (napi_get_value_int32(env, argv[5], &lo) != napi_ok || lo < 0) return folioFail(env, "lo must be a non-negative integer");
  if (napi_get_value_int32(env, argv[6], &count) != napi_ok || count <= 0) return folioFail(env, "soft votes over an empty range");
  if (!typedArray(env, argv[7], napi_float32_array, &votes, &votesLength)) return folioFail(env, "votes must be a Float32Array");
  const char *problem = describeCall(&job, q, qLength, keys, keysLength, capacity, kvHeads, lo);
  if (problem) return folioFail(env, problem);
  if ((int64_t)lo + count > capacity) return folioFail(env, "range runs past the cache capacity");
  if (votesLength < (size_t)kvHeads * count) return folioFail(env, "votes is shorter than kvHeads × count");
  job.votes = votes;
  for (int g = 0; g < kvHeads; g++) job.counts[g] = count;
  pthread_mutex_lock(&callLock);
  const int ok = prepareParts(&job, threads, count, 1, (size_t)kvHeads * job.group, 0);
  if (ok) {
    runJob(&job);
    voteWeights(&job);
    job.phase = 1;
    runJob(&job);
  }
  pthread_mutex_unlock(&callLock);
  if (!ok) return folioFail(env, "out of memory for soft-vote scratch");
  return NULL;
}
