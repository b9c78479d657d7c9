/* What the native sources share (module.c registers their exports). */
#ifndef FOLIO_NATIVE_H
#define FOLIO_NATIVE_H
#include <node_api.h>

/* Throws a JavaScript Error with code FOLIO_NATIVE and returns NULL. */
napi_value folioFail(napi_env env, const char *message);

/* module.c: 1 when `value` is a typed array of type `want` (its data and element count out), else 0. */
int typedArray(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length);

/* module.c: this thread's scratch of at least `floats` floats (kept between calls), or NULL when out of memory. */
float *threadScratch(size_t floats);

/* decode-attention.c */
napi_value attend(napi_env env, napi_callback_info info);
napi_value softVotes(napi_env env, napi_callback_info info);

/* patch-features.c */
napi_value patchFeatures(napi_env env, napi_callback_info info);

/* visual-compress.c */
napi_value redundancy(napi_env env, napi_callback_info info);
napi_value foregroundScores(napi_env env, napi_callback_info info);
napi_value superTokens(napi_env env, napi_callback_info info);

#ifdef __linux__
/* huge-pages.c */
napi_value hugePageBuffer(napi_env env, napi_callback_info info);
#endif

#endif
