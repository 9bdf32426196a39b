-- Variable-size states: min/max/first/last of VARCHAR and exact
-- count(DISTINCT x) of VARCHAR, BIGINT and DOUBLE, in update mode. Two
-- files per batch, so each batch merges two partial tables (split order:
-- 1.json before 2.json, 3.json before 4.json) and then the stored state.
--   batch 0 (1.json, 2.json)
--     a: pear/1/0.0, Apple/1/-0.0, apple/2/1.5, NULL/NULL/NULL
--        min "Apple" (bytewise: 'A' < 'a' < 'p'), max "pear",
--        first "pear", last NULL (the last row's s; left out of the JSON),
--        distinct s {pear, Apple, apple} = 3, x {1, 2} = 2,
--        d {0.0 = -0.0, 1.5} = 2, n 4
--     b: NULL/NULL/NULL, ""/3/2.5
--        min = max = last = "" (an empty string is a value), first NULL,
--        distinct s {""} = 1, x {3} = 1, d {2.5} = 1, n 2
--   batch 1 (3.json, 4.json), merged with batch 0's state
--     b: + zebra/3/2.5 -> min "", max "zebra", first NULL, last "zebra",
--        s {"", zebra} = 2, x {3} = 1, d {2.5} = 1, n 3
--     a: + pear/5/NULL, apples/2/1.5 -> min "Apple", max "pear",
--        first "pear", last "apples", s {pear, Apple, apple, apples} = 4,
--        x {1, 2, 5} = 3, d {0.0, 1.5} = 2, n 6
--     c: NULL only -> min/max/first/last NULL, distinct counts 0, n 1
CREATE SOURCE t (k VARCHAR, s VARCHAR, x BIGINT, d DOUBLE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 2);

CREATE SINK out WITH (connector = 'console', format = 'jsonl',
                      output_mode = 'update') AS
SELECT k, min(s) AS mins, max(s) AS maxs, first(s) AS fs, last(s) AS ls,
       count(DISTINCT s) AS ds, count(DISTINCT x) AS dx,
       count(DISTINCT d) AS dd, count(*) AS n
FROM t
GROUP BY k;

SET trigger = available_now;
