-- A stateless subquery in FROM: the outer query selects its columns by
-- name and with *, filters on a derived column, and keeps the names.
CREATE SOURCE s (id BIGINT, s VARCHAR) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT *, id * 10 AS id10
FROM (SELECT id, upper(s) AS u FROM s WHERE id > 1) t
WHERE t.u IS NOT NULL OR id = 3;
SET trigger = once;
