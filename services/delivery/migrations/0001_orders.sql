-- Orders, their history, the work items that fulfil them. Decisions live in
-- services/delivery/domain; this is storage only.
CREATE TABLE orders (
  id                  text PRIMARY KEY,                  -- "ord_" + UUIDv7
  tenant              text NOT NULL,
  state               text NOT NULL CHECK (state IN ('requested', 'accepted', 'provisioning',
                        'active', 'modifying', 'deprovisioning', 'deleted', 'rejected', 'failed')),
  offering_id         text NOT NULL,
  offering_name       text NOT NULL DEFAULT '',
  provider_id         text NOT NULL,
  worker_kind         text NOT NULL DEFAULT '',
  artifact            text NOT NULL DEFAULT '',
  operations          text[] NOT NULL DEFAULT '{}',      -- what the delivery binding supports
  resolution_id       text,
  rank                integer,
  requirement         text,
  parameters          jsonb NOT NULL DEFAULT '{}',
  outputs             jsonb NOT NULL DEFAULT '{}',
  secrets_sealed      bytea,                             -- AES-256-GCM (secret_box.h), never plain
  price_amount        numeric,                           -- schema:price as written, exact
  price_currency      text NOT NULL DEFAULT '',
  price_unit          text NOT NULL DEFAULT '',
  quantity            integer NOT NULL DEFAULT 1 CHECK (quantity >= 1),
  reasons             text[] NOT NULL DEFAULT '{}',
  idempotency_key     text NOT NULL,
  request_hash        text NOT NULL,                     -- sha256 of the request: same key, other body = 409
  deletion_requested  boolean NOT NULL DEFAULT false,
  version             bigint NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (tenant, idempotency_key)
);
CREATE INDEX orders_by_tenant ON orders (tenant, id DESC);
CREATE INDEX orders_in_flight ON orders (state)
  WHERE state IN ('requested', 'accepted', 'provisioning', 'modifying', 'deprovisioning');

-- One row per transition: the order's history and the bill's source of billable time.
CREATE TABLE order_transitions (
  seq         bigserial PRIMARY KEY,
  order_id    text NOT NULL REFERENCES orders (id),
  from_state  text NOT NULL DEFAULT '',
  to_state    text NOT NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  reason      text NOT NULL DEFAULT '',
  work_id     text
);
CREATE INDEX order_transitions_by_order ON order_transitions (order_id, seq);

-- Work handed to providers' workers. A row is the promise; the work relay publishes the current
-- attempt to MPLI_WORK (Nats-Msg-Id "<work_id>.<attempt>") after the row commits.
CREATE TABLE work_items (
  work_id            text PRIMARY KEY,                   -- "wrk_" + UUIDv7
  order_id           text NOT NULL REFERENCES orders (id),
  provider_id        text NOT NULL,
  operation          text NOT NULL,
  purpose            text NOT NULL DEFAULT 'order' CHECK (purpose IN ('order', 'cleanup')),
  state              text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'cancelled')),
  attempt            integer NOT NULL DEFAULT 1,
  max_attempts       integer NOT NULL,
  published_attempt  integer NOT NULL DEFAULT 0,         -- last attempt the relay handed to JetStream
  publish_after      timestamptz NOT NULL DEFAULT clock_timestamp(),  -- retry backoff
  deadline           timestamptz NOT NULL,               -- of the current attempt; progress extends it
  body               jsonb NOT NULL,                     -- the WorkItem (canonical JSON) of the attempt
  last_message       text NOT NULL DEFAULT '',
  last_percent       integer NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX work_items_to_publish ON work_items (publish_after)
  WHERE state = 'pending' AND published_attempt < attempt;
CREATE INDEX work_items_deadlines ON work_items (deadline) WHERE state = 'pending';
CREATE INDEX work_items_by_order ON work_items (order_id);
