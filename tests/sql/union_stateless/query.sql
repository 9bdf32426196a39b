-- A stateless UNION ALL: columns named by the first branch, types widened
-- (BIGINT with DOUBLE is DOUBLE), an outer filter pushed into both inputs.
CREATE SOURCE a (id BIGINT, name VARCHAR) WITH (connector = 'file', path = 'a');
CREATE SOURCE b (n DOUBLE, label VARCHAR) WITH (connector = 'file', path = 'b');
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT x, upper(s) AS s
FROM (SELECT id AS x, name AS s FROM a UNION ALL SELECT n, label FROM b) u
WHERE x > 1;
CREATE SINK top WITH (connector = 'console', format = 'jsonl') AS
SELECT name AS tag FROM a WHERE id = 1
UNION ALL
SELECT label FROM b;
SET trigger = once;
