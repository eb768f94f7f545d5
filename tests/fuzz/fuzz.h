/* fuzz.h: what the fuzz targets of tests/fuzz share: their entry point,
 * built as libFuzzer's or (SAOLA_FUZZ_REPLAY) under a name of its own for
 * tests/test_fuzz_regressions.c, and a scratch folder with device
 * databases. See docs/security.md, "Fuzzing". */
#ifndef SAOLA_FUZZ_H
#define SAOLA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <saola/core.h>

/* Each target file defines its entry with SAOLA_FUZZ_TARGET(name) { ... }:
 * it takes one input, never keeps it, and returns 0. A finding is a crash,
 * a sanitizer report or a hang, never a return value. */
#ifdef SAOLA_FUZZ_REPLAY
#define SAOLA_FUZZ_TARGET(name) int saola_fuzz_##name(const uint8_t *data, size_t size)
#else
#define SAOLA_FUZZ_TARGET(name) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int saola_fuzz_expr(const uint8_t *data, size_t size);
int saola_fuzz_form(const uint8_t *data, size_t size);
int saola_fuzz_record(const uint8_t *data, size_t size);
int saola_fuzz_wire(const uint8_t *data, size_t size);
int saola_fuzz_bundle(const uint8_t *data, size_t size);
int saola_fuzz_http(const uint8_t *data, size_t size);
int saola_fuzz_cols(const uint8_t *data, size_t size);
int saola_fuzz_xlsx(const uint8_t *data, size_t size);

/* The shipped schemas folder (forms, standards) of the source tree. */
#ifndef SAOLA_FUZZ_SCHEMAS
#error "SAOLA_FUZZ_SCHEMAS must name the schemas folder"
#endif

/* This process's scratch folder: made on first use under $SAOLA_FUZZ_TMP,
 * else /dev/shm (no disk flushes), else $TMPDIR or /tmp; removed with
 * everything in it at exit. Static storage. */
const char *fz_dir(void);

/* fz_dir() + "/" + name, in one of 4 rotating static buffers. */
const char *fz_path(const char *name);

/* A NUL-terminated copy of the input (free()). */
char *fz_cstr(const uint8_t *data, size_t size);

/* Writes n bytes to path (replacing it); aborts on failure. */
void fz_write(const char *path, const void *p, size_t n);

/* A device database at fz_path(name) with the shipped forms and standards,
 * made and opened on the first call of each name and kept open. */
saola *fz_device(const char *name);

/* The harness itself failed (not a finding in the code under test):
 * prints why and aborts. */
void fz_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
