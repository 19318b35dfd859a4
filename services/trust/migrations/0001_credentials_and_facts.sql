-- Credentials the hub holds, the verified facts they give while accepted, and the trust anchors.
CREATE TABLE credentials (
  id             text PRIMARY KEY,                 -- sha256 hex of the token
  token          text NOT NULL,                    -- as received, for re-evaluation
  credential_id  text NOT NULL DEFAULT '',         -- the credential's own id
  format         text NOT NULL,
  issuer         text NOT NULL,
  types          jsonb NOT NULL DEFAULT '[]',
  kind           text NOT NULL DEFAULT '',         -- mpli credential type IRI, '' unknown
  subject        text NOT NULL,                    -- whom its facts are about
  valid_from     timestamptz,
  valid_until    timestamptz,
  status_list    text NOT NULL DEFAULT '',         -- statusListCredential URL
  status_index   bigint,
  status_purpose text NOT NULL DEFAULT '',
  trust_root     text NOT NULL DEFAULT '',         -- x5c root fingerprint
  claims         jsonb NOT NULL,
  facts          jsonb NOT NULL DEFAULT '[]',      -- what it gives while accepted
  state          text NOT NULL CHECK (state IN ('accepted', 'untrusted', 'revoked', 'expired',
                                                'refused')),
  refusal        text NOT NULL DEFAULT '',
  refusal_detail text NOT NULL DEFAULT '',
  source         text NOT NULL,                    -- 'consumer' or 'manifest:<provider_id>'
  source_url     text NOT NULL DEFAULT '',         -- manifest pointers: where it was fetched
  received_at    timestamptz NOT NULL DEFAULT now(),
  checked_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credentials_subject ON credentials (subject);
CREATE INDEX credentials_source ON credentials (source);
CREATE INDEX credentials_expiring ON credentials (valid_until) WHERE state = 'accepted';

-- The facts currently held: exactly the facts of the accepted credentials (one row per
-- credential and triple, so two credentials proving the same fact each keep it alive).
CREATE TABLE facts (
  credential        text NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
  subject           text NOT NULL,
  predicate         text NOT NULL,
  object            text NOT NULL,
  object_is_literal boolean NOT NULL,
  datatype          text NOT NULL DEFAULT '',
  PRIMARY KEY (credential, subject, predicate, object)
);
CREATE INDEX facts_subject ON facts (subject);
CREATE INDEX facts_order ON facts (subject, predicate, object, credential);

-- One row: the anchors in force. Seeded from the hub's anchors.file at first start.
CREATE TABLE trust_anchors (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version    bigint NOT NULL,
  document   jsonb NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
