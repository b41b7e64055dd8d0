-- The chat's data: memory (conversations, messages, profiles), idempotency,
-- recall records with their imports, runtime flag overrides with an audit
-- trail, and the shared daily LLM spend.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Memory. user_id is the token's `sub`: it is stored so that ownership and
-- erase work, and it never leaves the database (logs carry a keyed hash).
CREATE TABLE conversations (
    id          uuid PRIMARY KEY,
    user_id     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_user_idx ON conversations (user_id);

CREATE TABLE messages (
    id               uuid PRIMARY KEY,
    conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id          text NOT NULL,
    role             text NOT NULL CHECK (role IN ('user', 'assistant')),
    content          text NOT NULL,
    intent           text,
    trace_id         text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at);
CREATE INDEX messages_user_idx ON messages (user_id);
CREATE INDEX messages_created_idx ON messages (created_at);

CREATE TABLE profiles (
    user_id              text PRIMARY KEY,
    consent_memory       boolean NOT NULL DEFAULT false,
    allergies            text[] NOT NULL DEFAULT '{}',
    pregnancy_trimester  smallint CHECK (pregnancy_trimester BETWEEN 1 AND 3),
    child_birthdate      date,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One row per (user, client_message_id): the first request claims it
-- (response NULL), later identical requests wait for and replay the response.
CREATE TABLE idempotency_records (
    user_id            text NOT NULL,
    client_message_id  text NOT NULL,
    response           jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, client_message_id)
);
CREATE INDEX idempotency_created_idx ON idempotency_records (created_at);

-- Recalls from CPSC and FDA. upcs hold normalised GTIN-14 strings.
CREATE TABLE recalls (
    agency         text NOT NULL,
    recall_number  text NOT NULL,
    recall_date    date,
    title          text NOT NULL,
    product_names  text[] NOT NULL DEFAULT '{}',
    brands         text[] NOT NULL DEFAULT '{}',
    model_numbers  text[] NOT NULL DEFAULT '{}',
    upcs           text[] NOT NULL DEFAULT '{}',
    category       text,
    hazard         text,
    remedy         text,
    url            text,
    source         text NOT NULL,
    search_text    text NOT NULL DEFAULT '',
    raw            jsonb NOT NULL,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency, recall_number)
);
CREATE INDEX recalls_upcs_idx ON recalls USING gin (upcs);
CREATE INDEX recalls_models_idx ON recalls USING gin (model_numbers);
CREATE INDEX recalls_search_trgm_idx ON recalls USING gin (search_text gin_trgm_ops);
CREATE INDEX recalls_category_idx ON recalls (lower(category));

-- Every import or sync run; the newest finished one dates the recall data.
CREATE TABLE recall_imports (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    records_read integer NOT NULL DEFAULT 0,
    inserted     integer NOT NULL DEFAULT 0,
    updated      integer NOT NULL DEFAULT 0,
    rejected     integer NOT NULL DEFAULT 0,
    cursor_date  date
);

-- Runtime override of a flag (spec section 3); NULL columns fall back to env.
CREATE TABLE flag_overrides (
    flag         text PRIMARY KEY,
    enabled      boolean,
    rollout_pct  double precision CHECK (rollout_pct BETWEEN 0 AND 1),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL,
    reason       text NOT NULL
);

CREATE TABLE flag_audit (
    id       bigserial PRIMARY KEY,
    flag     text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,
    action   text NOT NULL,
    old      jsonb,
    new      jsonb,
    reason   text NOT NULL,
    details  jsonb
);
CREATE INDEX flag_audit_flag_at_idx ON flag_audit (flag, at DESC);

-- LLM spend per UTC day and model, shared by every instance.
CREATE TABLE llm_spend (
    day            date NOT NULL,
    model          text NOT NULL,
    usd            numeric(14, 6) NOT NULL DEFAULT 0,
    input_tokens   bigint NOT NULL DEFAULT 0,
    output_tokens  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, model)
);
