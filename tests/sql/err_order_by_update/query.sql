CREATE SOURCE s (k VARCHAR) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', output_mode = 'update') AS
SELECT k, count(*) AS n FROM s GROUP BY k ORDER BY n;
