-- Resolutions as answered: the manifest text (a re-check reads it again), the consumer, and the
-- whole Resolution message. Kept so GET /v1/resolutions/{id} and delivery's re-check work on
-- any instance.
CREATE TABLE resolutions (
  id              text PRIMARY KEY,
  created_at      timestamptz NOT NULL DEFAULT now(),
  manifest        text NOT NULL,
  manifest_sha256 text NOT NULL,
  consumer        text NOT NULL,
  satisfiable     boolean NOT NULL,
  resolution      bytea NOT NULL           -- mpli.resolver.v1.Resolution
);
CREATE INDEX resolutions_consumer ON resolutions (consumer, created_at);
