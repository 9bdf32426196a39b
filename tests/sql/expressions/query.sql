-- Scalar expressions: arithmetic, comparison, logic with NULLs, IN,
-- BETWEEN, LIKE, CASE, CAST, COALESCE and string functions.
CREATE SOURCE t (id BIGINT, x DOUBLE, s VARCHAR, b BOOLEAN)
WITH (connector = 'file', path = 'input');

CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT id,
       id * 2 + 1 AS a,
       id / 4 AS q,
       id % 3 AS m,
       x IS NULL AS x_null,
       CASE WHEN id < 2 THEN 'small' WHEN id < 4 THEN 'mid' ELSE 'big' END AS size,
       CAST(s AS BIGINT) AS s_num,
       CAST(id AS VARCHAR) AS id_str,
       coalesce(s, 'none') AS s2,
       id BETWEEN 2 AND 3 AS btw,
       s LIKE 'a%' AS starts_a,
       id NOT IN (1, 3) AS not13,
       b AND id > 2 AS band,
       b OR id > 2 AS bor,
       concat(s, '-', CAST(id AS STRING)) AS cat,
       substring(s, 2, 2) AS sub,
       lower(upper(s)) AS low
FROM t;

SET trigger = once;
