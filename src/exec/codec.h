/*
 * codec.h -- row values as bytes: the identity of a group or a dedup key,
 * and rows kept between the split and partition stages.
 *
 * Per value: a null byte, then 1 byte (BOOLEAN), 8 bytes (BIGINT, DOUBLE,
 * TIMESTAMP, INTERVAL), 16 bytes (WINDOW) or a u32 length and the bytes
 * (VARCHAR). Equal values encode to equal bytes (doubles normalized: -0.0
 * as 0.0, one NaN).
 */
#ifndef SP_EXEC_CODEC_H
#define SP_EXEC_CODEC_H

#include "core/core.h"

#include <math.h>
#include <string.h>

/* The encoded size of row r of v (of type t). */
static inline size_t sp_codec_size(const sp_vec *v, uint32_t r, sp_type t)
{
    if (v->type == SP_T_NULL || sp_vec_is_null(v, r)) return 1;
    switch (t) {
    case SP_T_BOOL:
        return 2;
    case SP_T_VARCHAR:
        return 5 + (size_t)v->d.str[r].len;
    case SP_T_WINDOW:
        return 17;
    default:
        return 9;
    }
}

/* Writes row r of v (of type t) at o, which has sp_codec_size bytes of
 * room; returns the end. The hot path's form of sp_codec_put. */
static inline unsigned char *sp_codec_write(unsigned char *o, const sp_vec *v,
                                            uint32_t r, sp_type t)
{
    if (v->type == SP_T_NULL || sp_vec_is_null(v, r)) {
        *o = 1;
        return o + 1;
    }
    *o++ = 0;
    switch (t) {
    case SP_T_BOOL:
        *o = (unsigned char)v->d.b[r];
        return o + 1;
    case SP_T_DOUBLE: {
        double d = v->d.f64[r];
        if (d == 0) d = 0;
        if (isnan(d)) d = NAN;
        memcpy(o, &d, 8);
        return o + 8;
    }
    case SP_T_VARCHAR: {
        uint32_t n = v->d.str[r].len;
        memcpy(o, &n, 4);
        sp_copy_short(o + 4, v->d.str[r].ptr, n);
        return o + 4 + n;
    }
    case SP_T_WINDOW:
        memcpy(o, &v->d.i64[2 * r], 16);
        return o + 16;
    default:
        memcpy(o, &v->d.i64[r], 8);
        return o + 8;
    }
}

/* Appends row r of v (of type t) to k. 0 or SP_ENOMEM. */
int sp_codec_put(sp_buf *k, const sp_vec *v, uint32_t r, sp_type t);
/* Decodes one value at *p into row r of out (which has a nulls array);
 * VARCHAR values are views into the encoded bytes. Advances *p. */
void sp_codec_get(const unsigned char **p, sp_type t, sp_vec *out, uint32_t r);
/* Skips one encoded value of type t. */
const unsigned char *sp_codec_skip(const unsigned char *p, sp_type t);

#endif
