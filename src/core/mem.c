/*
 * mem.c -- heap wrappers with accounting, arenas, and growable buffers.
 *
 * Arena: a list of blocks; allocation bumps a pointer in the current block,
 * and a request larger than a block gets a block of its own. Reset frees
 * every block but the first, so an arena reused per batch settles into
 * zero mallocs. Alignment is 16 bytes.
 */
#include "core/core.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Each heap block carries its size in a header so sp_free can account. */
typedef struct {
    size_t size;
    size_t pad;
} mem_hdr;

static _Atomic size_t g_mem_used;

void *sp_malloc(size_t n)
{
    mem_hdr *h = malloc(sizeof *h + n);
    if (!h) return NULL;
    h->size = n;
    atomic_fetch_add_explicit(&g_mem_used, n, memory_order_relaxed);
    return h + 1;
}

void *sp_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = sp_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *sp_realloc(void *p, size_t n)
{
    if (!p) return sp_malloc(n);
    mem_hdr *h = (mem_hdr *)p - 1;
    size_t old = h->size;
    mem_hdr *nh = realloc(h, sizeof *nh + n);
    if (!nh) return NULL;
    nh->size = n;
    if (n > old)
        atomic_fetch_add_explicit(&g_mem_used, n - old, memory_order_relaxed);
    else
        atomic_fetch_sub_explicit(&g_mem_used, old - n, memory_order_relaxed);
    return nh + 1;
}

void sp_free(void *p)
{
    if (!p) return;
    mem_hdr *h = (mem_hdr *)p - 1;
    atomic_fetch_sub_explicit(&g_mem_used, h->size, memory_order_relaxed);
    free(h);
}

char *sp_strndup(const char *s, size_t n)
{
    char *d = sp_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *sp_strdup(const char *s)
{
    return s ? sp_strndup(s, strlen(s)) : NULL;
}

size_t sp_mem_used(void)
{
    return atomic_load_explicit(&g_mem_used, memory_order_relaxed);
}

/* ---- Arena ------------------------------------------------------------ */

typedef struct arena_block {
    struct arena_block *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
} arena_block;

struct sp_arena {
    arena_block *head;  /* current block (most recent) */
    arena_block *first; /* the block kept across resets */
    size_t block_size;
    size_t handed_out;
};

static arena_block *block_new(size_t cap)
{
    arena_block *b = sp_malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

sp_arena *sp_arena_create(size_t block_size)
{
    if (block_size < 1024) block_size = 1024;
    sp_arena *a = sp_malloc(sizeof *a);
    if (!a) return NULL;
    a->block_size = block_size;
    a->handed_out = 0;
    a->first = a->head = block_new(block_size);
    if (!a->head) {
        sp_free(a);
        return NULL;
    }
    return a;
}

void sp_arena_destroy(sp_arena *a)
{
    if (!a) return;
    arena_block *b = a->head;
    while (b) {
        arena_block *n = b->next;
        sp_free(b);
        b = n;
    }
    sp_free(a);
}

void sp_arena_reset(sp_arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *n = b->next;
        if (b != a->first) sp_free(b);
        b = n;
    }
    a->head = a->first;
    a->first->used = 0;
    a->first->next = NULL;
    a->handed_out = 0;
}

void *sp_arena_alloc(sp_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    arena_block *b = a->head;
    if (b->cap - b->used >= n) {
        void *p = b->data + b->used;
        b->used += n;
        a->handed_out += n;
        return p;
    }
    if (n > a->block_size / 4) {
        /* Big request: a dedicated block placed behind the current one so
         * the current block's free space stays usable. */
        arena_block *big = block_new(n);
        if (!big) return NULL;
        big->used = n;
        big->next = b->next;
        b->next = big;
        a->handed_out += n;
        return big->data;
    }
    arena_block *nb = block_new(a->block_size);
    if (!nb) return NULL;
    nb->next = a->head;
    a->head = nb;
    nb->used = n;
    a->handed_out += n;
    return nb->data;
}

void *sp_arena_zalloc(sp_arena *a, size_t n)
{
    void *p = sp_arena_alloc(a, n);
    if (p) memset(p, 0, n);
    return p;
}

char *sp_arena_strndup(sp_arena *a, const char *s, size_t n)
{
    char *d = sp_arena_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *sp_arena_strdup(sp_arena *a, const char *s)
{
    return sp_arena_strndup(a, s, strlen(s));
}

char *sp_arena_printf(sp_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *d = sp_arena_alloc(a, (size_t)n + 1);
    if (!d) return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

size_t sp_arena_used(const sp_arena *a)
{
    return a->handed_out;
}

/* ---- Growable buffer -------------------------------------------------- */

void sp_buf_init(sp_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void sp_buf_free(sp_buf *b)
{
    sp_free(b->data);
    sp_buf_init(b);
}

int sp_buf_reserve(sp_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *d = sp_realloc(b->data, cap);
    if (!d) return SP_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int sp_buf_append(sp_buf *b, const void *p, size_t n)
{
    if (sp_buf_reserve(b, n)) return SP_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int sp_buf_putc(sp_buf *b, char c)
{
    return sp_buf_append(b, &c, 1);
}

int sp_buf_puts(sp_buf *b, const char *s)
{
    return sp_buf_append(b, s, strlen(s));
}

int sp_buf_printf(sp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return SP_EINVAL;
    if (sp_buf_reserve(b, (size_t)n)) return SP_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int sp_buf_json_str(sp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (sp_buf_reserve(b, n + 2)) return SP_ENOMEM;
    b->data[b->len++] = '"';
    size_t run = 0; /* start of the current run of plain bytes */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (sp_buf_append(b, s + run, i - run)) return SP_ENOMEM;
        char esc[7] = {'\\', 0};
        size_t el = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
        }
        if (sp_buf_append(b, esc, el)) return SP_ENOMEM;
        run = i + 1;
    }
    if (sp_buf_append(b, s + run, n - run)) return SP_ENOMEM;
    return sp_buf_putc(b, '"');
}
