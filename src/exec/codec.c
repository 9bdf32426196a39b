/*
 * codec.c -- see codec.h.
 */
#include "exec/codec.h"

#include <math.h>
#include <string.h>

int sp_codec_put(sp_buf *k, const sp_vec *v, uint32_t r, sp_type t)
{
    size_t n = sp_codec_size(v, r, t);
    if (sp_buf_reserve(k, n)) return SP_ENOMEM;
    unsigned char *o = (unsigned char *)k->data + k->len;
    k->len = (size_t)(sp_codec_write(o, v, r, t) - (unsigned char *)k->data);
    k->data[k->len] = 0; /* sp_buf keeps its terminator */
    return 0;
}

/* Decodes key column `col` of an encoded key starting at *p into row r of
 * out (strings are views into the key bytes). Advances *p. */
void sp_codec_get(const unsigned char **p, sp_type t, sp_vec *out, uint32_t r)
{
    const unsigned char *q = *p;
    bool null = *q++ != 0;
    out->nulls[r] = null;
    if (!null) {
        switch (t) {
        case SP_T_BOOL:
            out->d.b[r] = *q++;
            break;
        case SP_T_VARCHAR: {
            uint32_t n;
            memcpy(&n, q, 4);
            q += 4;
            out->d.str[r] = sp_str_make((const char *)q, n);
            q += n;
            break;
        }
        case SP_T_WINDOW:
            memcpy(&out->d.i64[2 * r], q, 16);
            q += 16;
            break;
        default:
            memcpy(&out->d.i64[r], q, 8);
            q += 8;
        }
    }
    *p = q;
}

const unsigned char *sp_codec_skip(const unsigned char *k, sp_type t)
{
    if (*k++ != 0) return k;
    switch (t) {
    case SP_T_BOOL:
        return k + 1;
    case SP_T_VARCHAR: {
        uint32_t n;
        memcpy(&n, k, 4);
        return k + 4 + n;
    }
    case SP_T_WINDOW:
        return k + 16;
    default:
        return k + 8;
    }
}
