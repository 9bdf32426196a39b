-- The file sink writes JSON files per batch and lists them in its manifest
-- log (_spate_log/N) only when the batch commits.
CREATE SOURCE events (id BIGINT, kind VARCHAR)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'file', path = 'output', format = 'json') AS
SELECT id, kind FROM events WHERE kind <> 'skip';

SET trigger = available_now;
