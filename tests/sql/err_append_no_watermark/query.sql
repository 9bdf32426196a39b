CREATE SOURCE s (k VARCHAR, ts TIMESTAMP) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console') AS
SELECT k, count(*) FROM s GROUP BY k;
