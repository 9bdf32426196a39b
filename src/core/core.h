/*
 * core.h -- the bottom layer of spate: errors, arenas, strings, types,
 * scalar values, column vectors and batches, hashing and checksums.
 *
 * Every other module includes this header; it includes nothing of spate's.
 *
 * Data layout (see docs/internals.md for why it departs from plain Arrow):
 *   - A column vector holds one type. Fixed-width values (BIGINT, DOUBLE,
 *     TIMESTAMP, INTERVAL) sit in a contiguous array of 8-byte values, as in
 *     Arrow. BOOLEAN is one byte per value (0/1). NULLs are a byte array
 *     `nulls` (1 = NULL) that may be NULL itself, meaning "no NULLs".
 *   - VARCHAR values are string views (pointer + length). A view points into
 *     memory that lives at least as long as the batch: the source's input
 *     buffer or the batch arena. Arrow export compacts views into
 *     offsets + bytes.
 *   - A batch has n_rows physical rows and an optional selection vector:
 *     when `sel` is non-NULL only rows sel[0..n_sel) are live, in that order.
 *     Operators evaluate only live rows; positions not selected hold garbage.
 */
#ifndef SP_CORE_H
#define SP_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

/* X(name, value, text): the one table of error codes. The public header
 * mirrors the values as SPATE_E*. */
#define SP_ERR_MAP(X)                                                          \
    X(OK, 0, "ok")                                                             \
    X(EINVAL, -1, "invalid argument")                                          \
    X(ENOMEM, -2, "out of memory")                                             \
    X(EIO, -3, "i/o error")                                                    \
    X(ESYNTAX, -4, "syntax error")                                             \
    X(EANALYSIS, -5, "analysis error")                                         \
    X(ENOTFOUND, -6, "not found")                                              \
    X(EDATA, -7, "malformed input data")                                       \
    X(ECORRUPT, -8, "corrupt file")                                            \
    X(ENOSPC, -9, "no space left on device")                                   \
    X(EUNSUPPORTED, -10, "not supported")                                      \
    X(ESTOPPED, -11, "stopped")                                                \
    X(ENET, -12, "network error")                                              \
    X(EINTERNAL, -13, "internal error")

enum {
#define SP_ERR_ENUM(n, v, t) SP_##n = v,
    SP_ERR_MAP(SP_ERR_ENUM)
#undef SP_ERR_ENUM
};

const char *sp_err_name(int code); /* "EINVAL" */
const char *sp_strerror(int code); /* "invalid argument" */

/* An error carried through a call chain. Functions that can fail take an
 * `sp_err *` and return 0 or a negative SP_E* code; on failure they fill
 * the error (first failure wins: sp_err_set does nothing if a code is
 * already set). Messages start in lower case and carry no trailing period;
 * `detail` holds facts and `hint` advice.
 *
 * `line`/`col` (1-based, 0 = unknown) locate the error in `file`, which is a
 * SQL script or a data file; `len` is the length of the offending text on
 * that line for the caret underline. */
typedef struct sp_err {
    int code;
    int sys_errno;    /* errno at the failure, 0 if none */
    int line, col;    /* position in `file`, 1-based; 0 = unknown */
    int len;          /* length of the offending token, >= 1 when known */
    char file[256];   /* file the position refers to; "" = none */
    char msg[512];    /* primary message */
    char detail[512]; /* facts, may be "" */
    char hint[512];   /* advice, may be "" */
} sp_err;

void sp_err_clear(sp_err *e);
/* Sets code and message if no error is set yet. Returns code. */
int sp_err_set(sp_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like sp_err_set, records errno and appends ": strerror(errno)". */
int sp_err_sys(sp_err *e, int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sp_err_detail(sp_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sp_err_hint(sp_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Records a position; does not change code or message. */
void sp_err_at(sp_err *e, const char *file, int line, int col, int len);
/* Prints the error for a person:
 *   file:line:col: error: msg
 *      12 | the offending line of `text`
 *         |        ^~~~~
 *   detail: ...
 *   hint: ...
 * `text` is the content of `file` (may be NULL: no source line shown). */
void sp_err_print(const sp_err *e, const char *text, size_t text_len,
                  FILE *out);

/* Broken invariant: prints file, line and message and aborts. */
#define sp_panic(...) sp_panic_at(__FILE__, __LINE__, __VA_ARGS__)
void sp_panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
#define SP_ASSERT(x)                                                           \
    do {                                                                       \
        if (!(x)) sp_panic("assertion failed: %s", #x);                        \
    } while (0)

/* ------------------------------------------------------------------------
 * Memory
 * ---------------------------------------------------------------------- */

/* All heap memory goes through these; they abort on exhaustion only where
 * noted, otherwise return NULL. */
void *sp_malloc(size_t n);
void *sp_calloc(size_t n, size_t size);
void *sp_realloc(void *p, size_t n);
void sp_free(void *p);
char *sp_strdup(const char *s);
char *sp_strndup(const char *s, size_t n);
/* Total bytes currently allocated through sp_malloc and friends. */
size_t sp_mem_used(void);

/* Arena: bump allocation in blocks, freed as a whole. Allocations are
 * 16-byte aligned. sp_arena_reset keeps the first block (and frees the rest)
 * so a per-batch arena reaches a steady state with no malloc at all. */
typedef struct sp_arena sp_arena;
sp_arena *sp_arena_create(size_t block_size); /* caller owns */
void sp_arena_destroy(sp_arena *a);
void sp_arena_reset(sp_arena *a);
void *sp_arena_alloc(sp_arena *a, size_t n); /* NULL on OOM */
void *sp_arena_zalloc(sp_arena *a, size_t n);
char *sp_arena_strndup(sp_arena *a, const char *s, size_t n);
char *sp_arena_strdup(sp_arena *a, const char *s);
char *sp_arena_printf(sp_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
size_t sp_arena_used(const sp_arena *a); /* bytes handed out */

/* Growable byte buffer (heap). */
typedef struct sp_buf {
    char *data;
    size_t len, cap;
} sp_buf;
void sp_buf_init(sp_buf *b);
void sp_buf_free(sp_buf *b);
int sp_buf_reserve(sp_buf *b, size_t extra); /* 0 or SP_ENOMEM */
int sp_buf_append(sp_buf *b, const void *p, size_t n);
int sp_buf_putc(sp_buf *b, char c);
int sp_buf_puts(sp_buf *b, const char *s);
int sp_buf_printf(sp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
int sp_buf_json_str(sp_buf *b, const char *s, size_t n);

/* ------------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------- */

typedef struct sp_str {
    const char *ptr;
    uint32_t len;
} sp_str;

#define SP_STR_LIT(s) ((sp_str){(s), (uint32_t)(sizeof(s) - 1)})
/* Copies or compares n bytes with fixed-size moves (overlapping at the
 * ends) instead of a library call: for the short, varying lengths of keys
 * and strings on hot paths. Reads and writes only [p, p + n). */
static inline void sp_copy_short(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n >= 16) {
        size_t i = 0;
        for (; i + 16 <= n; i += 16) memcpy(d + i, s + i, 16);
        if (i < n) memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {
        unsigned char a = s[0], b = s[n >> 1], c = s[n - 1];
        d[0] = a;
        d[n >> 1] = b;
        d[n - 1] = c;
    }
}

static inline bool sp_equal_short(const void *x, const void *y, size_t n)
{
    const char *a = x, *b = y;
    uint64_t u, v, w, z;
    if (a == b) return true;
    /* 16 bytes at a time, the last 16 overlapping; the results and'ed
     * together: one branch, not one per chunk */
    if (n >= 16) {
#ifdef __SSE2__
        __m128i e = _mm_cmpeq_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(a + n - 16)),
            _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16)));
        for (size_t i = 0; i + 16 < n; i += 16)
            e = _mm_and_si128(
                e,
                _mm_cmpeq_epi8(
                    _mm_loadu_si128((const __m128i *)(const void *)(a + i)),
                    _mm_loadu_si128((const __m128i *)(const void *)(b + i))));
        return _mm_movemask_epi8(e) == 0xffff;
#else
        uint64_t d = 0;
        for (size_t i = 0; i + 16 < n; i += 16) {
            memcpy(&u, a + i, 8);
            memcpy(&v, b + i, 8);
            memcpy(&w, a + i + 8, 8);
            memcpy(&z, b + i + 8, 8);
            d |= (u ^ v) | (w ^ z);
        }
        memcpy(&u, a + n - 16, 8);
        memcpy(&v, b + n - 16, 8);
        memcpy(&w, a + n - 8, 8);
        memcpy(&z, b + n - 8, 8);
        return (d | (u ^ v) | (w ^ z)) == 0;
#endif
    }
    if (n >= 8) {
        memcpy(&u, a, 8);
        memcpy(&v, b, 8);
        memcpy(&w, a + n - 8, 8);
        memcpy(&z, b + n - 8, 8);
        return ((u ^ v) | (w ^ z)) == 0;
    }
    if (n >= 4) {
        uint32_t p, q, r, t;
        memcpy(&p, a, 4);
        memcpy(&q, b, 4);
        memcpy(&r, a + n - 4, 4);
        memcpy(&t, b + n - 4, 4);
        return p == q && r == t;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

static inline sp_str sp_str_make(const char *p, size_t n)
{
    sp_str s = {p, (uint32_t)n};
    return s;
}
bool sp_str_eq(sp_str a, sp_str b);
bool sp_str_eq_nocase(sp_str a, const char *b); /* b is NUL-terminated */
int sp_str_cmp(sp_str a, sp_str b);             /* bytewise, like memcmp */

/* ------------------------------------------------------------------------
 * Types and values
 * ---------------------------------------------------------------------- */

/* X(name, sql-name): the logical types. */
#define SP_TYPE_MAP(X)                                                         \
    X(NULL, "NULL")                                                            \
    X(BOOL, "BOOLEAN")                                                         \
    X(BIGINT, "BIGINT")                                                        \
    X(DOUBLE, "DOUBLE")                                                        \
    X(VARCHAR, "VARCHAR")                                                      \
    X(TIMESTAMP, "TIMESTAMP")                                                  \
    X(INTERVAL, "INTERVAL")                                                    \
    X(WINDOW, "STRUCT<start: TIMESTAMP, end: TIMESTAMP>")

typedef enum sp_type {
#define SP_TYPE_ENUM(n, s) SP_T_##n,
    SP_TYPE_MAP(SP_TYPE_ENUM)
#undef SP_TYPE_ENUM
        SP_T__COUNT
} sp_type;

const char *sp_type_name(sp_type t); /* "BIGINT" */
/* Parses a SQL type name, case-insensitive, with the usual aliases
 * (INT, INTEGER, LONG, SMALLINT, TINYINT -> BIGINT; FLOAT, REAL, DECIMAL,
 * NUMERIC -> DOUBLE; STRING, TEXT, CHAR -> VARCHAR; BOOL -> BOOLEAN).
 * Returns 0 and sets *out, or -1 if unknown. */
int sp_type_parse(const char *name, size_t len, sp_type *out);
/* Bytes per value in a vector's data array (VARCHAR: sizeof(sp_str)). */
size_t sp_type_width(sp_type t);

/* A scalar value. VARCHAR payloads are borrowed (see owner of the value). */
typedef struct sp_value {
    sp_type type;
    bool is_null;
    union {
        bool b;
        int64_t i; /* BIGINT, TIMESTAMP (us since epoch), INTERVAL (us) */
        double d;
        sp_str s;
        struct {
            int64_t start, end; /* WINDOW: [start, end) in microseconds */
        } w;
    } v;
} sp_value;

/* ------------------------------------------------------------------------
 * Time (src/core/time.c). TIMESTAMP = int64 microseconds since
 * 1970-01-01 00:00:00 UTC; INTERVAL = int64 microseconds. A calendar month
 * counts as 31 days and a year as 12 months, as Spark does for windows.
 * ---------------------------------------------------------------------- */

#define SP_USEC_PER_SEC 1000000LL
#define SP_USEC_PER_DAY 86400000000LL

/* Parses timestamps in the forms Spark accepts when casting a string:
 * "2024-01-31", "2024-01-31 10:00", "2024-01-31 10:00:00",
 * "2024-01-31T10:00:00.123456", optional trailing "Z" or "+hh:mm"/"-hh:mm"
 * (converted to UTC). Leading/trailing spaces allowed. Returns 0 or -1. */
int sp_ts_parse(const char *s, size_t n, int64_t *out_us);
/* Spark's CAST(ts AS STRING): "2024-01-31 10:00:00", with ".123" or
 * ".123456" only when the fraction is non-zero (trailing zeros dropped).
 * Writes a NUL-terminated string, returns its length. buf >= 32 bytes. */
int sp_ts_format(int64_t us, char *buf);
/* ISO-8601 for JSON output: "2024-01-31T10:00:00.000Z" (milliseconds, or
 * microseconds when the value has sub-millisecond digits). buf >= 40. */
int sp_ts_format_iso(int64_t us, char *buf);
/* Civil conversions, proleptic Gregorian, valid for years 1..9999. */
int64_t sp_days_from_civil(int64_t y, unsigned m, unsigned d);
void sp_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Parses an interval as written in SQL strings and options:
 * "10 seconds", "1 minute", "1 hour 30 minutes", "500 ms",
 * "2 days", "1 week", "1 month" (= 31 days), "1.5 seconds",
 * "interval 10 seconds"; unit names singular or plural, case-insensitive:
 * microsecond(s)/us, millisecond(s)/ms, second(s)/sec/s, minute(s)/min/m,
 * hour(s)/h, day(s)/d, week(s), month(s), year(s). A bare number is
 * rejected. Returns 0 or -1 (with a reason in `why`, may be NULL). */
int sp_interval_parse(const char *s, size_t n, int64_t *out_us,
                      const char **why);
/* Formats an interval Spark-style: "INTERVAL '0 00:00:10' DAY TO SECOND".
 * buf >= 64. */
int sp_interval_format(int64_t us, char *buf);

/* ------------------------------------------------------------------------
 * Number formatting
 * ---------------------------------------------------------------------- */

/* Java's Double.toString, which Spark uses for display and JSON:
 * shortest digits that round-trip; "1.0", "0.5", "1.0E7", "1.5E-4",
 * "NaN", "Infinity", "-Infinity". buf >= 32. Returns length. */
int sp_fmt_double(double d, char *buf);
/* Formats any value as Spark's CAST(x AS STRING) would (NULL -> "null"
 * for display). Appends to b. */
int sp_value_format(const sp_value *v, sp_buf *b);

/* ------------------------------------------------------------------------
 * Column vectors and batches
 * ---------------------------------------------------------------------- */

typedef struct sp_vec {
    sp_type type;
    uint8_t *nulls; /* NULL = no NULLs; else nulls[i] == 1 means NULL */
    union {
        void *raw;
        uint8_t *b;   /* BOOL */
        int64_t *i64; /* BIGINT, TIMESTAMP, INTERVAL; WINDOW: row i is
                         [2i] start, [2i + 1] end */
        double *f64;  /* DOUBLE */
        sp_str *str;  /* VARCHAR */
    } d;
} sp_vec;

static inline bool sp_vec_is_null(const sp_vec *v, uint32_t i)
{
    return v->nulls && v->nulls[i];
}

/* Allocates data (and, if with_nulls, a zeroed null array) for `n` rows in
 * the arena. Returns 0 or SP_ENOMEM. */
int sp_vec_alloc(sp_vec *v, sp_type t, uint32_t n, bool with_nulls,
                 sp_arena *a);
/* Makes sure v->nulls exists (zeroed) for n rows. */
int sp_vec_ensure_nulls(sp_vec *v, uint32_t n, sp_arena *a);
/* Reads row i as a scalar (strings borrowed from the vector). */
void sp_vec_get(const sp_vec *v, uint32_t i, sp_value *out);

/* Rows per batch that operators and readers aim for. */
#define SP_BATCH_ROWS 4096

typedef struct sp_batch {
    uint32_t n_rows; /* physical rows in every column */
    uint32_t n_cols;
    sp_vec *cols;    /* n_cols vectors */
    uint32_t *sel;   /* NULL = all rows 0..n_rows live */
    uint32_t n_sel;  /* live rows when sel != NULL */
    sp_arena *arena; /* owns cols, sel and vector memory; may be shared */
} sp_batch;

/* Number of live rows. */
static inline uint32_t sp_batch_live(const sp_batch *b)
{
    return b->sel ? b->n_sel : b->n_rows;
}
/* Physical index of the k-th live row. */
static inline uint32_t sp_batch_row(const sp_batch *b, uint32_t k)
{
    return b->sel ? b->sel[k] : k;
}

/* ------------------------------------------------------------------------
 * Schemas
 * ---------------------------------------------------------------------- */

typedef struct sp_field {
    char *name; /* as declared; lookups are case-insensitive */
    sp_type type;
} sp_field;

typedef struct sp_schema {
    uint32_t n_fields;
    sp_field *fields;
} sp_schema;

/* Case-insensitive lookup; returns index or -1. */
int sp_schema_find(const sp_schema *s, const char *name, size_t len);

/* ------------------------------------------------------------------------
 * Hashing and checksums
 * ---------------------------------------------------------------------- */

uint64_t sp_hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t sp_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
/* A fast hash of a byte string (16 bytes per 64x64->128 multiply), for
 * group and dedup keys: it picks a key's state partition, so a checkpoint
 * depends on it (its metadata records SP_KEY_HASH_VERSION); never change
 * its values without bumping that version. */
static inline uint64_t sp_fold_mul(uint64_t a, uint64_t b)
{
    /* the 128-bit product folded to 64 bits: every bit of both inputs
     * reaches the middle of the result */
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

#define SP_HK0 0xa0761d6478bd642fULL
#define SP_HK1 0xe7037ed1a0b428dbULL
#define SP_HK2 0x8ebc6af09c88c6e3ULL

static inline uint64_t sp_hash_key(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ sp_fold_mul(seed ^ SP_HK0, (uint64_t)n ^ SP_HK1);
    uint64_t a, b;
    uint32_t c, d;
    while (n > 16) {
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        h = sp_fold_mul(a ^ SP_HK1, b ^ h);
        p += 16;
        n -= 16;
    }
    /* the last 1..16 bytes (0 only for an empty key), by loads that may
     * overlap and together cover every byte */
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
        memcpy(&c, p, 4);
        memcpy(&d, p + n - 4, 4);
        a = c;
        b = d;
    } else if (n > 0) {
        a = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
        b = 0;
    } else {
        a = b = 0;
    }
    return sp_fold_mul(sp_fold_mul(a ^ SP_HK1, b ^ h) ^ SP_HK2, h ^ SP_HK0);
}
#define SP_KEY_HASH_VERSION 2 /* 1: sp_hash_bytes (before 2026-11-22) */
/* CRC-32C (Castagnoli). Pass 0 as the first crc. */
uint32_t sp_crc32c(uint32_t crc, const void *p, size_t n);
/* The portable table method (sp_crc32c uses the CPU's CRC-32C instruction
 * when it has one); the same results. */
uint32_t sp_crc32c_sw(uint32_t crc, const void *p, size_t n);

/* ------------------------------------------------------------------------
 * Small utilities
 * ---------------------------------------------------------------------- */

/* Monotonic clock in microseconds (for the runtime only; operators never
 * read a clock). */
int64_t sp_clock_mono_us(void);
/* Wall clock, microseconds since the epoch. */
int64_t sp_clock_wall_us(void);

/* A named crash point for crash tests: SIGKILLs the process when
 * SPATE_CRASH_AT names it (see crash.c). batch -1 = any. */
void sp_crash_point(const char *name, int64_t batch);
/* Whether SPATE_CRASH_AT names this point (and batch): a caller may then
 * take the one order of events the point stands for (see crash.c). */
bool sp_crash_armed(const char *name, int64_t batch);

#define SP_MIN(a, b)    ((a) < (b) ? (a) : (b))
#define SP_MAX(a, b)    ((a) > (b) ? (a) : (b))
#define SP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SP_UNUSED(x)    ((void)(x))

#endif /* SP_CORE_H */
