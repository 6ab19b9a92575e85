-- Does the store hold any send log row? Without one, messages are dated by their first
-- report and those that never got a report are invisible. (Every send row makes a message
-- with has_send, so this equals "some message has a send" without counting 10M messages.)
-- Grain: one row (has_send_log, a boolean).
-- Parameters: none.
SELECT EXISTS (SELECT 1 FROM sends) AS has_send_log
