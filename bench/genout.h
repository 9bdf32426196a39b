/*
 * genout.h -- the buffered output shared by the benchmark data generators
 * (ysb_gen.c, kv_gen.c): a big buffer flushed with write(2), and die()
 * naming the program (define GEN_NAME before including).
 */
#ifndef SP_BENCH_GENOUT_H
#define SP_BENCH_GENOUT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int out_fd = -1;
static char *obuf;
static size_t olen;
static const char *out_name;

static void die(const char *what)
{
    fprintf(stderr, GEN_NAME ": %s: %s\n", what, strerror(errno));
    exit(1);
}

static void flush_out(void)
{
    size_t off = 0;
    while (off < olen) {
        ssize_t w = write(out_fd, obuf + off, olen - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            die(out_name);
        }
        off += (size_t)w;
    }
    olen = 0;
}

static inline void put(const char *s, size_t n)
{
    memcpy(obuf + olen, s, n);
    olen += n;
}

#endif
