-- Names counted from name_seen events.
CREATE TABLE names (
  name text PRIMARY KEY,
  seen int NOT NULL,
  last_seen timestamptz NOT NULL DEFAULT now()
);
