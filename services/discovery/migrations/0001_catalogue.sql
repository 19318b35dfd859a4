-- The federated catalogue: providers, every manifest version seen, and the offering index.
CREATE TABLE providers (
  id                   text PRIMARY KEY,           -- mpli:providerId from the manifest
  manifest_url         text UNIQUE,                -- NULL for an uploaded manifest
  name                 text NOT NULL DEFAULT '',
  country              text NOT NULL DEFAULT '',
  current_version      bigint,                     -- manifest_versions.id being served
  current_hash         text,
  etag                 text,
  last_modified        text,
  fetched_at           timestamptz,
  last_error           text,
  consecutive_failures integer NOT NULL DEFAULT 0,
  next_refresh_at      timestamptz,                -- NULL: never refreshed (uploads)
  registered_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX providers_due ON providers (next_refresh_at) WHERE manifest_url IS NOT NULL;

CREATE TABLE manifest_versions (
  id           bigserial PRIMARY KEY,
  provider_id  text NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
  source_url   text,
  content      text NOT NULL,                      -- the manifest as received
  hash         text NOT NULL,                      -- sha256 of content
  ntriples     text,                               -- accepted versions: normalised, for export
  fetched_at   timestamptz NOT NULL DEFAULT now(),
  outcome      text NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
  problem      jsonb                               -- rejected versions: why (violations, line)
);
CREATE INDEX manifest_versions_provider ON manifest_versions (provider_id, id);

CREATE TABLE offerings (
  id                   text PRIMARY KEY,           -- the offering's IRI
  provider_id          text NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
  name                 text NOT NULL DEFAULT '',
  description          text NOT NULL DEFAULT '',
  kind                 text NOT NULL DEFAULT '',
  countries            text[] NOT NULL DEFAULT '{}',  -- of the regions it is sold in
  regions              text[] NOT NULL DEFAULT '{}',
  vcpu                 integer NOT NULL DEFAULT 0,
  memory_gib           double precision NOT NULL DEFAULT 0,
  storage_gib          double precision NOT NULL DEFAULT 0,
  price_amount         numeric,
  price_currency       text NOT NULL DEFAULT '',
  price_unit           text NOT NULL DEFAULT '',
  certifications       text[] NOT NULL DEFAULT '{}',
  availability_percent double precision NOT NULL DEFAULT 0,
  content_hash         text NOT NULL,
  search_text          text NOT NULL DEFAULT '',   -- lower(name || ' ' || description)
  updated_at           timestamptz NOT NULL DEFAULT now()
);
-- The offering's RDF lives apart, so the index table stays narrow and filter scans touch few
-- pages.
CREATE TABLE offering_documents (
  id        text PRIMARY KEY REFERENCES offerings (id) ON DELETE CASCADE,
  ntriples  text NOT NULL
);
CREATE INDEX offerings_provider ON offerings (provider_id);
CREATE INDEX offerings_kind ON offerings (kind, id);
CREATE INDEX offerings_countries ON offerings USING gin (countries);
CREATE INDEX offerings_regions ON offerings USING gin (regions);
CREATE INDEX offerings_price ON offerings (price_amount);
CREATE INDEX offerings_certifications ON offerings USING gin (certifications);
