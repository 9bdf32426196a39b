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

/* Appends row r of v (of type t) to k. 0 or SP_ENOMEM. */
int sp_codec_put(sp_buf *k, const sp_vec *v, uint32_t r, sp_type t);
/* Decodes one value at *p into row r of out (which has a nulls array);
 * VARCHAR values are views into the encoded bytes. Advances *p. */
void sp_codec_get(const unsigned char **p, sp_type t, sp_vec *out, uint32_t r);
/* Skips one encoded value of type t. */
const unsigned char *sp_codec_skip(const unsigned char *p, sp_type t);

#endif
