"""Conversation ids: recognised for the user they were issued to, never confused with an answer's message id."""

from __future__ import annotations

import uuid

from babyshield_chat.chat.conversation_ids import ConversationIds
from babyshield_chat.chat.message_ids import MessageIds

KEY = "a-key-of-at-least-sixteen-characters"


def test_a_conversation_id_is_the_issuing_users_alone():
    ids = ConversationIds(KEY)
    issued = ids.issue("alice")
    assert ids.issued_to("alice", issued)
    assert not ids.issued_to("bob", issued)
    assert not ids.issued_to("alice", uuid.uuid4())  # a stored conversation's id: its row decides


def test_a_message_id_is_no_conversation_id_and_a_conversation_id_no_answer_even_under_one_key():
    conversations, messages = ConversationIds(KEY), MessageIds(KEY)
    assert not conversations.issued_to("alice", messages.issue("alice", "recall_details"))
    assert messages.answered("alice", conversations.issue("alice")) is None


def test_without_a_key_ids_still_work_across_instances():
    assert ConversationIds().issued_to("alice", ConversationIds().issue("alice"))
    assert not ConversationIds(KEY).issued_to("alice", ConversationIds().issue("alice"))
