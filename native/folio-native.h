/* What the native sources share (module.c registers their exports). */
#ifndef FOLIO_NATIVE_H
#define FOLIO_NATIVE_H
#include <node_api.h>

/* Throws a JavaScript Error with code FOLIO_NATIVE and returns NULL. */
napi_value folioFail(napi_env env, const char *message);

/* decode-attention.c */
napi_value attend(napi_env env, napi_callback_info info);
napi_value softVotes(napi_env env, napi_callback_info info);

#ifdef __linux__
/* huge-pages.c */
napi_value hugePageBuffer(napi_env env, napi_callback_info info);
#endif

#endif
