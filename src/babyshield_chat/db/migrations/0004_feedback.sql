-- Parents' votes on answers (POST /api/v1/chat/feedback): one row per user and
-- answered message, a second vote replaces the first. No message content, no
-- free text: the answer is known only by its message_id and the intent it was
-- answered under. Erased with the user's data; purged with the messages after
-- BS_CHAT_MEMORY_RETENTION_DAYS.
CREATE TABLE feedback_votes (
    user_id     text NOT NULL,
    message_id  uuid NOT NULL,
    helpful     boolean NOT NULL,
    reason      text CHECK (reason IN ('wrong', 'unclear', 'unsafe', 'slow', 'other')),
    intent      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, message_id)
);
CREATE INDEX feedback_votes_updated_idx ON feedback_votes (updated_at);
