-- How many messages, and how many ended on each outcome, in a group of rows? One struct of
-- messages, delivered, failed, pending, unconfirmed, no_report, unknown (BIGINT; the six
-- outcomes add up to messages), so every count query sums outcomes the same way: group
-- with `outcome_counts(messages, outcome) AS counts`, then select `counts.*`.
-- Grain: an aggregate over the rows of one group.
-- Parameters: messages (the rows' message counts: 1 per message, or a rollup's count),
-- outcome (the rows' final outcome).
CREATE OR REPLACE TEMP MACRO outcome_counts(messages, outcome) AS {
    'messages': CAST(sum(messages) AS BIGINT),
    'delivered': CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'delivered'), 0) AS BIGINT),
    'failed': CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'failed'), 0) AS BIGINT),
    'pending': CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'pending'), 0) AS BIGINT),
    'unconfirmed': CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'unconfirmed'), 0) AS BIGINT),
    'no_report': CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'no_report'), 0) AS BIGINT),
    'unknown': CAST(coalesce(sum(messages) FILTER (WHERE outcome = 'unknown'), 0) AS BIGINT)
};
