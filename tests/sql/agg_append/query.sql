-- Append mode: a window is emitted once, when the watermark (max event
-- time - 10 minutes, from the previous batch) reaches its end; late rows
-- (window end <= watermark) are dropped.
--   batch 0  wm none    dog 12:02, owl 12:03
--   batch 1  wm 11:53   dog 12:07, cat 12:13
--   batch 2  wm 12:03   dog 12:04 (on time: window end 12:10 > 12:03), owl 12:21
--   batch 3  wm 12:11   dog 12:05 late (12:10 <= 12:11), cat 12:30;
--                       emits [12:00, 12:10): dog 3, owl 1
--   batch 4  wm 12:20   no data; emits [12:10, 12:20) cat 1, whose end is
--                       exactly the watermark
CREATE SOURCE words (word VARCHAR, ts TIMESTAMP,
                     WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK counts WITH (connector = 'console', format = 'jsonl',
                         output_mode = 'append') AS
SELECT window(ts, '10 minutes') AS window, word, count(*) AS count
FROM words
GROUP BY window(ts, '10 minutes'), word;

SET trigger = available_now;
