-- Every reviewer's note, newest first (optionally only one scope).
-- Grain: one row per note (of the scope, when given), newest first.
-- Parameters: $scope (a note scope; NULL: every scope).
SELECT note_id, scope, subject, week, body, author, created_at
FROM notes
WHERE ($scope IS NULL OR scope = $scope)
ORDER BY created_at DESC, note_id DESC
