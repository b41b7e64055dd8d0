"""Ids bound to a user by a keyed MAC: recognised for that user only, for one purpose, unforgeable without the key."""

from __future__ import annotations

import uuid

import pytest

from babyshield_chat.chat.issued_ids import IssuedIds

KEY = "a-key-of-at-least-sixteen-characters"


def test_an_id_is_recognised_for_the_user_it_was_issued_to_and_no_one_else():
    ids = IssuedIds("message", KEY)
    issued = ids.issue("alice")
    assert ids.issued_to("alice", issued)
    assert not ids.issued_to("bob", issued)
    assert not ids.issued_to("alice ", issued)


def test_issued_ids_look_like_random_version_4_uuids():
    ids = IssuedIds("message", KEY)
    many = {ids.issue("alice") for _ in range(200)}
    assert len(many) == 200
    assert all(value.version == 4 and value.variant == uuid.RFC_4122 for value in many)


def test_a_random_uuid_or_an_altered_id_is_not_recognised():
    ids = IssuedIds("message", KEY)
    assert not ids.issued_to("alice", uuid.uuid4())
    issued = ids.issue("alice").bytes
    for position in (0, 5, 9, 15):
        altered = bytearray(issued)
        altered[position] ^= 0x01
        assert not ids.issued_to("alice", uuid.UUID(bytes=bytes(altered))), position


def test_another_key_or_another_purpose_does_not_recognise_the_id():
    issued = IssuedIds("message", KEY).issue("alice")
    assert not IssuedIds("message", KEY + "-other").issued_to("alice", issued)
    assert not IssuedIds("conversation", KEY).issued_to("alice", issued)


def test_without_a_key_every_instance_shares_the_built_in_one():
    assert IssuedIds("message").issued_to("alice", IssuedIds("message").issue("alice"))
    assert not IssuedIds("message").issued_to("alice", IssuedIds("message", KEY).issue("alice"))


def test_a_tag_travels_under_the_mac_and_cannot_be_changed():
    ids = IssuedIds("message", KEY, tagged=True)
    issued = ids.issue("alice", 7)
    assert ids.tag("alice", issued) == 7
    assert ids.tag("bob", issued) is None
    retagged = bytearray(issued.bytes)
    retagged[7] = 9
    assert ids.tag("alice", uuid.UUID(bytes=bytes(retagged))) is None


def test_tags_are_required_exactly_for_tagged_ids_and_fit_one_byte():
    with pytest.raises(ValueError, match="tag is required"):
        IssuedIds("message", KEY, tagged=True).issue("alice")
    with pytest.raises(ValueError, match="tag is not used"):
        IssuedIds("conversation", KEY).issue("alice", 1)
    with pytest.raises(ValueError, match="0..255"):
        IssuedIds("message", KEY, tagged=True).issue("alice", 256)
    assert IssuedIds("conversation", KEY).tag("alice", IssuedIds("conversation", KEY).issue("alice")) is None


def test_a_purpose_must_be_named():
    with pytest.raises(ValueError, match="purpose"):
        IssuedIds("", KEY)
