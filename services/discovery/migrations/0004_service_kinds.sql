-- Service kinds as data (docs/service-kinds.md): the kind vocabularies registered at run time
-- (the built-in ones come with the binary), each offering's kind and the kind version it was
-- validated against, and the values of its kind's filterable properties.
CREATE TABLE service_kinds (
  seq            bigserial UNIQUE,                 -- registration order: instances reload on change
  iri            text NOT NULL,
  version        integer NOT NULL CHECK (version >= 1),
  name           text NOT NULL,                    -- local name of the IRI (the kind filter)
  vocabulary     text NOT NULL,                    -- the Turtle as registered
  hash           text NOT NULL,
  registered_by  text NOT NULL DEFAULT '',
  registered_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (iri, version)
);

ALTER TABLE offerings ADD COLUMN kind_iri text NOT NULL DEFAULT '';
ALTER TABLE offerings ADD COLUMN kind_version integer NOT NULL DEFAULT 0;  -- 0: unclassified
-- Offerings indexed before kinds were data were checked against the four built-in kinds.
UPDATE offerings SET kind_iri = 'https://w3id.org/mpli#' || kind, kind_version = 1
 WHERE kind IN ('VirtualMachine', 'ManagedPostgreSQL', 'ObjectStorage', 'Kubernetes');
CREATE INDEX offerings_unclassified ON offerings (kind_iri) WHERE kind_version = 0;

-- One row per value: typed storage for any kind's properties, not a column per property.
CREATE TABLE offering_properties (
  offering_id  text NOT NULL REFERENCES offerings (id) ON DELETE CASCADE,
  position     integer NOT NULL,                   -- order of the kind's properties, then values
  iri          text NOT NULL,
  name         text NOT NULL,                      -- the property's local name (the filter)
  text         text NOT NULL,                      -- the literal as written
  number       double precision,                   -- numeric properties
  PRIMARY KEY (offering_id, position)
);
CREATE INDEX offering_properties_number ON offering_properties (name, number)
  WHERE number IS NOT NULL;
CREATE INDEX offering_properties_text ON offering_properties (name, text);
