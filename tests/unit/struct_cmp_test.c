/* struct_cmp_test.c -- the WINDOW struct compares by value (start, then
 * end) with every comparison operator, as Spark compares structs. */
#include "expr/expr.h"
#include "test.h"

static void check_op(const char *op, const int64_t *a, const int64_t *b,
                     const bool *want, int n)
{
    sp_arena *ar = sp_arena_create(0);
    sp_err err;
    sp_err_clear(&err);
    sp_batch bt = {.n_rows = (uint32_t)n, .n_cols = 2, .arena = ar};
    bt.cols = sp_arena_zalloc(ar, 2 * sizeof(sp_vec));
    sp_vec_alloc(&bt.cols[0], SP_T_WINDOW, (uint32_t)n, false, ar);
    sp_vec_alloc(&bt.cols[1], SP_T_WINDOW, (uint32_t)n, false, ar);
    memcpy(bt.cols[0].d.i64, a, (size_t)n * 16);
    memcpy(bt.cols[1].d.i64, b, (size_t)n * 16);
    sp_expr *args[2] = {sp_expr_col(ar, 0, SP_T_WINDOW),
                        sp_expr_col(ar, 1, SP_T_WINDOW)};
    const sp_func *f = sp_func_lookup(op, strlen(op));
    ASSERT(f);
    sp_expr *e = sp_expr_call(ar, f, args, 2, &err);
    ASSERT_OK(e ? 0 : err.code, &err);
    ASSERT_EQ_INT(e->type, SP_T_BOOL);
    sp_vec out;
    ASSERT_OK(sp_expr_eval(e, &bt, ar, &out, &err), &err);
    for (int i = 0; i < n; i++) {
        if ((out.d.b[i] != 0) != want[i])
            TEST_FAIL_("%s row %d: got %d", op, i, out.d.b[i]);
    }
    sp_arena_destroy(ar);
}

TEST(window_struct_comparisons)
{
    /* rows: equal; same start, end differs; start differs */
    const int64_t a[] = {0, 10, 0, 10, 5, 15};
    const int64_t b[] = {0, 10, 0, 20, 0, 10};
    check_op("=", a, b, (bool[]){1, 0, 0}, 3);
    check_op("<>", a, b, (bool[]){0, 1, 1}, 3);
    check_op("<", a, b, (bool[]){0, 1, 0}, 3);
    check_op("<=", a, b, (bool[]){1, 1, 0}, 3);
    check_op(">", a, b, (bool[]){0, 0, 1}, 3);
    check_op(">=", a, b, (bool[]){1, 0, 1}, 3);
}

int main(int argc, char **argv)
{
    return test_main(argc, argv,
                     (test_case[]){TEST_CASE(window_struct_comparisons), {0}});
}
