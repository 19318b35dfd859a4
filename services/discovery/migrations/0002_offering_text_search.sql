-- Text search (`q=`) is a substring match; a trigram index keeps it an index scan at 100k+
-- offerings. pg_trgm is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX offerings_search ON offerings USING gin (search_text public.gin_trgm_ops);
