-- Join keys of other types than VARCHAR, several keys, expressions: a
-- BIGINT key (3 matches two rows: a chain), two keys (a NULL key part
-- never matches), a DOUBLE key (-0.0 = 0.0 and NaN = NaN, as grouping
-- compares them), a key cast from VARCHAR (the table's 'x' is NULL), a
-- left join on a unique key keeping the table's NULL values, and an inner
-- join on a unique key selecting the table's key.
CREATE SOURCE e (id BIGINT, region VARCHAR, score DOUBLE, code BIGINT)
WITH (connector = 'file', path = 'input');
CREATE TABLE t (id BIGINT, region VARCHAR, score DOUBLE, name VARCHAR,
                code VARCHAR)
WITH (connector = 'file', path = 'table.csv', format = 'csv', header = true);
CREATE TABLE u (id BIGINT, name VARCHAR, code BIGINT)
WITH (connector = 'file', path = 'unique.csv', format = 'csv', header = true);

CREATE SINK by_id WITH (connector = 'console', format = 'jsonl') AS
SELECT e.id, t.region, t.name FROM e JOIN t ON e.id = t.id;

CREATE SINK by_two WITH (connector = 'console', format = 'jsonl') AS
SELECT e.id, e.region, t.name FROM e JOIN t ON e.id = t.id AND e.region = t.region;

CREATE SINK by_double WITH (connector = 'console', format = 'jsonl') AS
SELECT e.score, t.score AS t_score, t.name FROM e JOIN t ON t.score = e.score;

CREATE SINK by_cast WITH (connector = 'console', format = 'jsonl') AS
SELECT e.code, t.name FROM e JOIN t ON e.code = t.code;

CREATE SINK left_unique WITH (connector = 'console', format = 'jsonl') AS
SELECT e.id, e.region, u.name, u.code FROM e LEFT JOIN u ON e.id = u.id;

CREATE SINK inner_unique WITH (connector = 'console', format = 'jsonl') AS
SELECT e.id, u.id AS uid, e.score, u.name FROM e JOIN u ON u.id = e.id WHERE e.score > 1;

SET trigger = once;
