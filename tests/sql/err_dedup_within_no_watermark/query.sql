CREATE SOURCE s (id VARCHAR) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console') AS
SELECT DISTINCT ON (id) WITHIN WATERMARK id FROM s;
