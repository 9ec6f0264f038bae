-- Up Migration

-- One row per fact (domain/facts.ts). Append-only: written by the worker's fact shipper with
-- INSERT … ON CONFLICT (id) DO NOTHING, deleted only by `omnijourney erase`. No clear-text email or phone
-- is ever in a fact: customers are their ids, messages their template, channel and request id.
CREATE TABLE facts (
  id          text PRIMARY KEY,
  kind        text NOT NULL,
  at          timestamptz NOT NULL,
  journey     text NOT NULL,
  version     integer,
  customer_id text NOT NULL,
  key         text,
  run         text,
  workflow_id text NOT NULL,
  run_id      text NOT NULL,
  step        text,
  split       text,
  arm         text,
  channel     text,
  template    text,
  topic       text,
  status      text,
  reason      text,
  detail      text,
  message_id  text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

-- The report reads one journey's facts of some kinds over a time range.
CREATE INDEX facts_journey_kind_at ON facts (journey, kind, at);
-- Joins within a run (its split arm, its conversions, its messages).
CREATE INDEX facts_run ON facts (run);
-- export and erase.
CREATE INDEX facts_customer ON facts (customer_id);

-- Down Migration
DROP TABLE facts;
