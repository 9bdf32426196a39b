/* core_test.c -- arenas, buffers, errors, hashing, CRC, vectors. */
#include "core/core.h"
#include "test.h"

TEST(arena_alloc_and_reset)
{
    sp_arena *a = sp_arena_create(4096);
    ASSERT(a);
    void *p1 = sp_arena_alloc(a, 10);
    void *p2 = sp_arena_alloc(a, 10);
    ASSERT(p1 && p2 && p1 != p2);
    ASSERT_EQ_INT((uintptr_t)p2 % 16, 0);
    /* A big allocation gets its own block; small ones keep going. */
    char *big = sp_arena_alloc(a, 100000);
    ASSERT(big);
    memset(big, 1, 100000);
    for (int i = 0; i < 1000; i++) ASSERT(sp_arena_alloc(a, 100));
    size_t before = sp_mem_used();
    sp_arena_reset(a);
    ASSERT(sp_mem_used() < before);
    ASSERT_EQ_INT(sp_arena_used(a), 0);
    ASSERT(sp_arena_alloc(a, 10));
    ASSERT_EQ_STR(sp_arena_printf(a, "%d-%s", 42, "x"), "42-x");
    sp_arena_destroy(a);
}

TEST(mem_accounting)
{
    size_t base = sp_mem_used();
    void *p = sp_malloc(1000);
    ASSERT_EQ_INT(sp_mem_used() - base, 1000);
    p = sp_realloc(p, 3000);
    ASSERT_EQ_INT(sp_mem_used() - base, 3000);
    sp_free(p);
    ASSERT_EQ_INT(sp_mem_used(), base);
}

TEST(buf_json_escape)
{
    sp_buf b;
    sp_buf_init(&b);
    sp_buf_json_str(&b, "a\"b\\c\n\x01z", 8);
    ASSERT_EQ_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001z\"");
    sp_buf_free(&b);
}

TEST(err_first_wins_and_print)
{
    sp_err e;
    sp_err_clear(&e);
    ASSERT_EQ_INT(
        sp_err_set(&e, SP_EANALYSIS, "column \"%s\" does not exist", "x"),
        SP_EANALYSIS);
    sp_err_set(&e, SP_EIO, "second");
    ASSERT_EQ_STR(e.msg, "column \"x\" does not exist");
    sp_err_at(&e, "q.sql", 2, 8, 1);
    sp_err_hint(&e, "available columns: a, b");
    const char *text = "SELECT a\nFROM t WHERE x > 1";
    char out[1024] = {0};
    FILE *f = fmemopen(out, sizeof out, "w");
    sp_err_print(&e, text, strlen(text), f);
    fclose(f);
    ASSERT(strstr(out, "q.sql:2:8: error: column \"x\" does not exist"));
    ASSERT(strstr(out, "    2 | FROM t WHERE x > 1\n      |        ^\n"));
    ASSERT(strstr(out, "hint: available columns: a, b"));
    ASSERT_EQ_STR(sp_err_name(SP_ECORRUPT), "ECORRUPT");
}

TEST(crc32c_known_values)
{
    ASSERT_EQ_INT(sp_crc32c(0, "123456789", 9), 0xE3069283u);
    ASSERT_EQ_INT(sp_crc32c(0, "", 0), 0);
    /* Incremental equals one-shot. */
    const char *s = "the quick brown fox jumps over the lazy dog";
    uint32_t c = sp_crc32c(0, s, 10);
    c = sp_crc32c(c, s + 10, strlen(s) - 10);
    ASSERT_EQ_INT(c, sp_crc32c(0, s, strlen(s)));
}

/* The instruction and the tables agree on every length and alignment,
 * and piecewise equals whole. */
TEST(crc32c_hw_matches_tables)
{
    unsigned char buf[300];
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    ASSERT_EQ_INT(sp_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += 7) {
            uint32_t a = sp_crc32c(0, buf + off, n);
            ASSERT_EQ_INT(a, sp_crc32c_sw(0, buf + off, n));
            size_t h = n / 3;
            ASSERT_EQ_INT(
                sp_crc32c(sp_crc32c(0, buf + off, h), buf + off + h, n - h), a);
        }
}

TEST(hash_spreads)
{
    ASSERT(sp_hash_bytes("abc", 3, 0) != sp_hash_bytes("abd", 3, 0));
    ASSERT(sp_hash_bytes("abc", 3, 0) == sp_hash_bytes("abc", 3, 0));
    ASSERT(sp_hash_bytes("abcdefgh1", 9, 0) !=
           sp_hash_bytes("abcdefgh2", 9, 0));
}

/* The hash of a group key picks its state partition, which a checkpoint
 * keeps: the function must never change. Pinned values for lengths 0..24
 * (every tail length, with and without whole words). */
TEST(hash_is_stable)
{
    const char *s = "spate-hash-pin-0123456789abcdef";
    uint64_t x = 0;
    for (size_t n = 0; n <= 24; n++) x ^= sp_hash_bytes(s, n, 0x5eed) * (n + 1);
    ASSERT(x == 0x864ee98ce7ebd4bfULL);
    ASSERT(sp_hash_bytes(s, 9, 0x5eed) == 0xfcbec683be0e4717ULL);
}

/* sp_hash_key picks state partitions (SP_KEY_HASH_VERSION 2): pinned.
 * Every byte of every length counts (the overlapping tail loads), and
 * small integer keys spread evenly over partitions. */
TEST(hash_key_is_stable_and_spreads)
{
    const char *s = "spate-hash-pin-0123456789abcdef-0123456789";
    uint64_t x = 0;
    for (size_t n = 0; n <= 40; n++) x ^= sp_hash_key(s, n, 0x5eed) * (n + 1);
    ASSERT(x == 0x0c60d165aeb190b4ULL);
    ASSERT(sp_hash_key(s, 9, 0x5eed) == 0x1c35e43c67a6a3b8ULL);
    unsigned char buf[48];
    for (size_t n = 1; n <= sizeof buf; n++) {
        memset(buf, 'a', sizeof buf);
        uint64_t base = sp_hash_key(buf, n, 7);
        for (size_t i = 0; i < n; i++) {
            buf[i] = 'b';
            ASSERT(sp_hash_key(buf, n, 7) != base);
            buf[i] = 'a';
        }
        ASSERT(sp_hash_key(buf, n - 1, 7) != base);
    }
    int parts[4] = {0};
    for (int64_t k = 0; k < 100000; k++) {
        unsigned char key[9] = {0};
        memcpy(key + 1, &k, 8);
        parts[sp_hash_key(key, 9, 0x5eed) % 4]++;
    }
    for (int p = 0; p < 4; p++) ASSERT(parts[p] > 24000 && parts[p] < 26000);
}

/* The short copy and compare agree with memcpy/memcmp at every length,
 * touch nothing outside [p, p + n), and see a difference at any byte. */
TEST(copy_and_equal_short)
{
    unsigned char src[80], dst[96], ref[96];
    for (size_t i = 0; i < sizeof src; i++) src[i] = (unsigned char)(i * 7 + 1);
    for (size_t n = 0; n <= 70; n++) {
        memset(dst, 0xEE, sizeof dst);
        memset(ref, 0xEE, sizeof ref);
        sp_copy_short(dst + 8, src + 3, n);
        memcpy(ref + 8, src + 3, n);
        ASSERT(memcmp(dst, ref, sizeof dst) == 0);
        ASSERT(sp_equal_short(dst + 8, src + 3, n));
        for (size_t i = 0; i < n; i++) {
            dst[8 + i] ^= 0x40;
            ASSERT(!sp_equal_short(dst + 8, src + 3, n));
            dst[8 + i] ^= 0x40;
        }
    }
}

TEST(types_and_vectors)
{
    sp_type t;
    ASSERT_EQ_INT(sp_type_parse("String", 6, &t), 0);
    ASSERT_EQ_INT(t, SP_T_VARCHAR);
    ASSERT_EQ_INT(sp_type_parse("INT", 3, &t), 0);
    ASSERT_EQ_INT(t, SP_T_BIGINT);
    ASSERT_EQ_INT(sp_type_parse("blob", 4, &t), -1);
    ASSERT_EQ_STR(sp_type_name(SP_T_TIMESTAMP), "TIMESTAMP");
    sp_arena *a = sp_arena_create(0);
    sp_vec v;
    ASSERT_EQ_INT(sp_vec_alloc(&v, SP_T_BIGINT, 4, false, a), 0);
    v.d.i64[2] = 7;
    ASSERT_EQ_INT(sp_vec_ensure_nulls(&v, 4, a), 0);
    v.nulls[1] = 1;
    sp_value x;
    sp_vec_get(&v, 2, &x);
    ASSERT(!x.is_null && x.v.i == 7);
    sp_vec_get(&v, 1, &x);
    ASSERT(x.is_null);
    sp_field f[2] = {{"Ts", SP_T_TIMESTAMP}, {"url", SP_T_VARCHAR}};
    sp_schema s = {2, f};
    ASSERT_EQ_INT(sp_schema_find(&s, "ts", 2), 0);
    ASSERT_EQ_INT(sp_schema_find(&s, "URL", 3), 1);
    ASSERT_EQ_INT(sp_schema_find(&s, "u", 1), -1);
    sp_arena_destroy(a);
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(arena_alloc_and_reset),
                                   TEST_CASE(mem_accounting),
                                   TEST_CASE(buf_json_escape),
                                   TEST_CASE(err_first_wins_and_print),
                                   TEST_CASE(crc32c_known_values),
                                   TEST_CASE(hash_spreads),
                                   TEST_CASE(crc32c_hw_matches_tables),
                                   TEST_CASE(hash_is_stable),
                                   TEST_CASE(hash_key_is_stable_and_spreads),
                                   TEST_CASE(copy_and_equal_short),
                                   TEST_CASE(types_and_vectors),
                                   {0}});
}
