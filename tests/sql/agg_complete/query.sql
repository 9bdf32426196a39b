-- Complete mode: the whole result every batch; the watermark neither drops
-- rows nor evicts state (dog 12:05 in batch 3 counts), and no batch runs
-- without data.
CREATE SOURCE words (word VARCHAR, ts TIMESTAMP,
                     WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK counts WITH (connector = 'console', format = 'jsonl',
                         output_mode = 'complete') AS
SELECT window(ts, '10 minutes') AS window, word, count(*) AS count
FROM words
GROUP BY window(ts, '10 minutes'), word;

SET trigger = available_now;
