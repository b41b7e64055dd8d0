-- Name look-ups order by word similarity and keep the best few: a GiST
-- trigram index answers that as a nearest-neighbour scan (a few ms) where the
-- GIN index left the planner to compare every row.
DROP INDEX IF EXISTS recalls_search_trgm_idx;
CREATE INDEX recalls_search_gist_idx ON recalls USING gist (search_text gist_trgm_ops);
