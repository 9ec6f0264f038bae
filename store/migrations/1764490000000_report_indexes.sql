-- Up Migration

-- The report (store/report.ts) over a journey with a million facts, in well under a second (docs/outcomes.md has
-- the measurements, with and without these).
--
-- Each kind of a journey's facts in run order, with the columns the report reads: a kind is one index-only range,
-- grouped per run as it streams by and merge-joined with the other kinds on run, instead of hashing every fact.
CREATE INDEX facts_report ON facts (journey, kind, run) INCLUDE (at, customer_id, step, split, arm, reason, status, channel, template);
-- The step names and split arms of a journey and when each was first reached: one probe per distinct name.
CREATE INDEX facts_report_steps ON facts (journey, step, at) WHERE kind = 'step';
CREATE INDEX facts_report_arms ON facts (journey, split, arm, at) WHERE kind = 'split';

-- Down Migration
DROP INDEX facts_report_arms;
DROP INDEX facts_report_steps;
DROP INDEX facts_report;
