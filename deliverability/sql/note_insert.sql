-- Store one reviewer's note; every value is bound. Returns the new note's id.
-- Grain: writes one row per note (into notes); returns its note_id.
-- Parameters: $scope, $subject, $week, $body, $author (the note's fields, see
--   deliverability/notes.py), $created_at (when it is stored, UTC).
INSERT INTO notes (note_id, scope, subject, week, body, author, created_at)
SELECT coalesce(max(note_id), 0) + 1, $scope, $subject, $week, $body, $author, $created_at
FROM notes
RETURNING note_id
