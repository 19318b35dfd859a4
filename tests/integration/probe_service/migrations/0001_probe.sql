-- What the probe applied, one row per apply (no unique key on purpose: a duplicate apply must
-- show as a second row), every failed attempt, and every redelivery of an applied event; one
-- sequence orders them all.
CREATE SEQUENCE probe_order;
CREATE TABLE applied (
  seq bigint NOT NULL DEFAULT nextval('probe_order'),
  event_id text NOT NULL,
  attempt int NOT NULL,
  pid int NOT NULL
);
CREATE TABLE attempts (
  seq bigint NOT NULL DEFAULT nextval('probe_order'),
  event_id text NOT NULL,
  attempt int NOT NULL,
  outcome text NOT NULL
);
CREATE TABLE redelivered (
  seq bigint NOT NULL DEFAULT nextval('probe_order'),
  event_id text NOT NULL,
  attempt int NOT NULL
);
