/*
 * Folio's native addon (scripts/build-native.mjs builds it; models/llm/native-attention.ts loads
 * it): decode-step attention (decode-attention.c), the built-in vision encoder's patch features
 * (patch-features.c), three visual-token compression stages (visual-compress.c) and, on Linux, huge-page KV cache buffers (huge-pages.c).
 */
#include <stdlib.h>

#include "folio-native.h"

napi_value folioFail(napi_env env, const char *message) {
  napi_throw_error(env, "FOLIO_NATIVE", message);
  return NULL;
}

int typedArray(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

/*
 * Each thread's scratch, kept between calls: an extraction thread runs the visual kernels page
 * after page, and allocating per call cost a page fault per 4 KB every time. Not reentrant: a
 * kernel holds it only within one call.
 */
static _Thread_local float *scratch;
static _Thread_local size_t scratchFloats;

float *threadScratch(size_t floats) {
  if (scratchFloats < floats) {
    free(scratch);
    scratch = malloc(floats * sizeof(float));
    scratchFloats = scratch ? floats : 0;
  }
  return scratch;
}

static void expose(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  expose(env, exports, "attend", attend);
  expose(env, exports, "softVotes", softVotes);
  expose(env, exports, "patchFeatures", patchFeatures);
  expose(env, exports, "redundancy", redundancy);
  expose(env, exports, "foregroundScores", foregroundScores);
  expose(env, exports, "superTokens", superTokens);
#ifdef __linux__
  expose(env, exports, "hugePageBuffer", hugePageBuffer);
#endif
  return exports;
}
