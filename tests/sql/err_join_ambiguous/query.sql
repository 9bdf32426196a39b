CREATE SOURCE e (ad_id VARCHAR) WITH (connector = 'file', path = 'x');
CREATE TABLE c (ad_id VARCHAR, name VARCHAR) WITH (connector = 'file', path = 'c.csv', format = 'csv');
CREATE SINK out WITH (connector = 'console') AS
SELECT ad_id, name FROM e JOIN c ON e.ad_id = c.ad_id;
