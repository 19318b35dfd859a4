-- Migrations of an order to another provider, their steps and the tasks each step asked of
-- delivery. Decisions live in services/portability/domain; this is storage only.
CREATE TABLE migrations (
  id                    text PRIMARY KEY,                -- "mig_" + UUIDv7
  tenant                text NOT NULL,
  order_id              text NOT NULL,
  state                 text NOT NULL CHECK (state IN ('planned', 'provisioning_target',
                          'exporting', 'transferring', 'importing', 'verifying', 'cutting_over',
                          'decommissioning_source', 'completed', 'rolling_back', 'rolled_back',
                          'failed')),
  mode                  text NOT NULL CHECK (mode IN ('online', 'offline')),
  data_kind             text NOT NULL,
  source_provider_id    text NOT NULL,
  source_offering_id    text NOT NULL,
  source_offering_name  text NOT NULL DEFAULT '',
  target_provider_id    text NOT NULL,
  target_offering_id    text NOT NULL,
  target_offering_name  text NOT NULL DEFAULT '',
  format                text NOT NULL DEFAULT '',
  source_format         text NOT NULL DEFAULT '',
  target_format         text NOT NULL DEFAULT '',
  reasons               text[] NOT NULL DEFAULT '{}',
  idempotency_key       text NOT NULL,
  request_hash          text NOT NULL,                   -- same key, other body = 409
  version               bigint NOT NULL DEFAULT 1,       -- +1 per change; updates check it
  bytes_transferred     bigint NOT NULL DEFAULT 0,
  write_downtime_ms     bigint NOT NULL DEFAULT -1,
  cut_over_at           timestamptz,
  decommission_after    timestamptz,
  decommissioned_at     timestamptz,
  completed_at          timestamptz,
  cancel_requested      boolean NOT NULL DEFAULT false,
  verification          jsonb NOT NULL DEFAULT '[]',    -- TableVerification rows
  source_outputs        jsonb NOT NULL DEFAULT '{}',    -- the order's outputs at planning
  target_parameters     jsonb NOT NULL DEFAULT '{}',
  target_outputs        jsonb NOT NULL DEFAULT '{}',
  terms                 jsonb NOT NULL DEFAULT '{}',    -- carried over: price, unit, currency, ...
  facts                 jsonb NOT NULL DEFAULT '{}',    -- what earlier tasks returned (domain/plan.h)
  created_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (tenant, idempotency_key)
);
CREATE INDEX migrations_by_tenant ON migrations (tenant, id DESC);
CREATE INDEX migrations_unfinished ON migrations (id)
  WHERE state NOT IN ('completed', 'rolled_back', 'failed');
-- One unfinished migration per order.
CREATE UNIQUE INDEX migrations_one_per_order ON migrations (order_id)
  WHERE state NOT IN ('completed', 'rolled_back', 'failed');

-- One row per state change (each also a MigrationChanged event in the outbox).
CREATE TABLE migration_transitions (
  seq           bigserial PRIMARY KEY,
  migration_id  text NOT NULL REFERENCES migrations (id),
  from_state    text NOT NULL DEFAULT '',
  to_state      text NOT NULL,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  reason        text NOT NULL DEFAULT ''
);
CREATE INDEX migration_transitions_by_migration ON migration_transitions (migration_id, seq);

-- The step run in each state, oldest first.
CREATE TABLE migration_steps (
  migration_id  text NOT NULL REFERENCES migrations (id),
  seq           integer NOT NULL,
  name          text NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'skipped')),
  started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at   timestamptz,
  message       text NOT NULL DEFAULT '',
  bytes         bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (migration_id, seq)
);

-- The tasks a step submitted through delivery's submit_task. The row (and its id) commits
-- before the submit, so a submit repeated after a crash is the same task.
CREATE TABLE step_tasks (
  task_id       text PRIMARY KEY,                        -- "tsk_" + UUIDv7
  migration_id  text NOT NULL REFERENCES migrations (id),
  step_seq      integer NOT NULL,
  wave          integer NOT NULL,
  task_key      text NOT NULL,                           -- "<side>:<operation>"
  side          text NOT NULL CHECK (side IN ('source', 'target')),
  provider_id   text NOT NULL,
  operation     text NOT NULL,
  request       bytea NOT NULL,                          -- the SubmitTaskRequest, sent as is again
  submitted     boolean NOT NULL DEFAULT false,          -- delivery acknowledged it
  state         text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'failed')),
  message       text NOT NULL DEFAULT '',
  outputs       jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at   timestamptz,
  UNIQUE (migration_id, step_seq, task_key),
  FOREIGN KEY (migration_id, step_seq) REFERENCES migration_steps (migration_id, seq)
);
CREATE INDEX step_tasks_by_step ON step_tasks (migration_id, step_seq, wave);
