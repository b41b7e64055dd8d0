-- Recall search (spec 4b.1-3): a weighted full-text document, brand and model
-- keys, the page slug, severity columns and the recall each record belongs
-- to. The values are computed in Python (recalls.derive, recalls.grouping):
-- rows written before this migration keep search_version 0 until
-- recalls.reindex, which `migrate` and every import run, derives them from
-- the stored columns. Until then they simply do not match a name search.

ALTER TABLE recalls
    ADD COLUMN search_doc        tsvector NOT NULL DEFAULT ''::tsvector,
    ADD COLUMN name_text         text     NOT NULL DEFAULT '',
    ADD COLUMN brand_keys        text[]   NOT NULL DEFAULT '{}',
    ADD COLUMN model_keys        text[]   NOT NULL DEFAULT '{}',
    ADD COLUMN compact_text      text     NOT NULL DEFAULT '',
    ADD COLUMN slug              text,
    ADD COLUMN deaths            integer  NOT NULL DEFAULT 0,
    ADD COLUMN serious_injuries  integer  NOT NULL DEFAULT 0,
    ADD COLUMN incidents         integer  NOT NULL DEFAULT 0,
    ADD COLUMN units             bigint   NOT NULL DEFAULT 0,
    ADD COLUMN reannounced       boolean  NOT NULL DEFAULT false,
    ADD COLUMN recall_group      text,
    ADD COLUMN group_brands      text[]   NOT NULL DEFAULT '{}',
    ADD COLUMN search_version    integer  NOT NULL DEFAULT 0;

CREATE INDEX recalls_search_doc_idx ON recalls USING gin (search_doc);
CREATE INDEX recalls_model_keys_idx ON recalls USING gin (model_keys);
CREATE INDEX recalls_group_idx ON recalls (recall_group);
-- A search by brand alone: the brand keys of a recall, or the brand inside its text.
CREATE INDEX recalls_group_brands_idx ON recalls USING gin (group_brands);
CREATE INDEX recalls_compact_text_idx ON recalls USING gin (compact_text gin_trgm_ops);
CREATE INDEX recalls_search_version_idx ON recalls (search_version);

-- The search's vocabulary: every word of the documents with the number of
-- recalls it appears in (weights for the query, trigram spelling fixes), and
-- every brand key. Rebuilt by recalls.reindex after an import changes rows.
-- `single` is false for the joined spellings of two words ("fisherprice"):
-- a misspelt word is only ever corrected to a word.
CREATE TABLE recall_terms (
    term    text PRIMARY KEY,
    df      integer NOT NULL,
    single  boolean NOT NULL DEFAULT true
);
-- GIN, not GiST: for one short word GIN answers `%` in about 1 ms where GiST
-- took 6 ms.
CREATE INDEX recall_terms_trgm_idx ON recall_terms USING gin (term gin_trgm_ops) WHERE single;

CREATE TABLE recall_brands (
    key   text PRIMARY KEY,
    df    integer NOT NULL
);
