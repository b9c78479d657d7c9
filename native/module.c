/*
 * Folio's native addon (scripts/build-native.mjs builds it; models/llm/native-attention.ts loads
 * it): decode-step attention (decode-attention.c) and, on Linux, huge-page KV cache buffers
 * (huge-pages.c).
 */
#include "folio-native.h"

napi_value folioFail(napi_env env, const char *message) {
  napi_throw_error(env, "FOLIO_NATIVE", message);
  return NULL;
}

static void expose(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  expose(env, exports, "attend", attend);
  expose(env, exports, "softVotes", softVotes);
#ifdef __linux__
  expose(env, exports, "hugePageBuffer", hugePageBuffer);
#endif
  return exports;
}
