-- SET no_data_batches = false: no batch runs without data, so the last
-- window ([12:10, 12:20) cat, final once the watermark reached 12:20 after
-- batch 3) is never emitted by this run.
CREATE SOURCE words (word VARCHAR, ts TIMESTAMP,
                     WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK counts WITH (connector = 'console', format = 'jsonl',
                         output_mode = 'append') AS
SELECT window(ts, '10 minutes') AS window, word, count(*) AS count
FROM words
GROUP BY window(ts, '10 minutes'), word;

SET trigger = available_now;
SET no_data_batches = false;
