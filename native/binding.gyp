{
  "targets": [
    {
      "target_name": "folio_native",
      "sources": ["module.c", "decode-attention.c", "patch-features.c", "visual-compress.c", "huge-pages.c"],
      "cflags": ["-O3", "-ffast-math", "-fno-finite-math-only", "-std=gnu11"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-ffast-math", "-fno-finite-math-only"] },
      "libraries": ["-lm", "-lpthread"]
    }
  ]
}
