-- Tasks (portability's work outside an order's lifecycle) and placements (where an order ran,
-- at which price, from when: the bill's lines after a move). Storage only; decisions live in
-- services/delivery/domain.
CREATE TABLE tasks (
  id                text PRIMARY KEY,                    -- "tsk_" + UUIDv7, the submitter's
  migration_id      text NOT NULL DEFAULT '',
  order_id          text NOT NULL REFERENCES orders (id),
  tenant            text NOT NULL,
  provider_id       text NOT NULL,
  operation         text NOT NULL,
  offering_id       text NOT NULL,
  worker_kind       text NOT NULL DEFAULT '',
  artifact          text NOT NULL DEFAULT '',
  parameters        jsonb NOT NULL DEFAULT '{}',
  state             text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
  message           text NOT NULL DEFAULT '',
  outputs           jsonb NOT NULL DEFAULT '{}',        -- the worker's, once succeeded
  secrets_sealed    bytea,                              -- the worker's, AES-256-GCM (secret_box.h)
  retryable         boolean NOT NULL DEFAULT false,
  work_id           text NOT NULL,
  deadline_seconds  integer NOT NULL,                   -- per attempt
  request_hash      text NOT NULL,                      -- same id, other request = 409
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at       timestamptz
);
CREATE INDEX tasks_by_migration ON tasks (migration_id);

-- A task's work item is a work item like an order's (same relay, retries, deadlines), marked by
-- its purpose and task id. Its secrets (from the task's secret sources) are sealed under the
-- work id and opened by the relay only when it publishes.
ALTER TABLE work_items DROP CONSTRAINT work_items_purpose_check;
ALTER TABLE work_items ADD CONSTRAINT work_items_purpose_check
  CHECK (purpose IN ('order', 'cleanup', 'task'));
ALTER TABLE work_items ADD COLUMN task_id text REFERENCES tasks (id);
ALTER TABLE work_items ADD COLUMN secrets_sealed bytea;

-- Where an order ran: one row per provider it lived at since a move (none: the order never
-- moved and its own columns say it all). `until_at` NULL = still there.
CREATE TABLE placements (
  seq             bigserial PRIMARY KEY,
  order_id        text NOT NULL REFERENCES orders (id),
  provider_id     text NOT NULL,
  offering_id     text NOT NULL,
  offering_name   text NOT NULL DEFAULT '',
  price_amount    numeric,
  price_currency  text NOT NULL DEFAULT '',
  price_unit      text NOT NULL DEFAULT '',
  from_at         timestamptz NOT NULL,
  until_at        timestamptz
);
CREATE INDEX placements_by_order ON placements (order_id, seq);
