-- Store one reviewer's note; every value is bound. Returns the new note's id.
INSERT INTO notes (note_id, scope, subject, week, body, author, created_at)
SELECT coalesce(max(note_id), 0) + 1, $scope, $subject, $week, $body, $author, $created_at
FROM notes
RETURNING note_id
