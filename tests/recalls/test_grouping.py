"""Which records are one recall: same number, or same page slug."""

import datetime as dt
import json

from babyshield_chat.recalls.derive import derive
from babyshield_chat.recalls.formats import parse_document
from babyshield_chat.recalls.grouping import GroupMember, evidence_id, group_ids

from tests.support.data import RECALL_FILES, data_file

D = dt.date(2013, 1, 8)


def member(number, source="cpsc_index", slug=None, date=D, agency="CPSC"):
    return GroupMember(agency, number, source, slug, date)


def test_the_same_slug_from_two_sources_is_one_recall_named_after_the_real_number():
    ids = group_ids([member("2013/x", slug="2013/x"), member("13087", "cpsc_usagov", "2013/x")])
    assert ids == {("CPSC", "2013/x"): "CPSC-13087", ("CPSC", "13087"): "CPSC-13087"}


def test_the_same_recall_number_from_two_sources_is_one_recall():
    ids = group_ids([member("26639", "cpsc_recall_api", "2026/a"), member("26639", "cpsc_usagov", None)])
    assert set(ids.values()) == {"CPSC-26639"}


def test_a_page_moved_to_another_year_folder_is_the_same_recall_when_the_date_agrees():
    ids = group_ids([member("11031", "cpsc_usagov", "2011/britax"), member("2010/b", slug="2010/britax")])
    assert len(set(ids.values())) == 1


def test_a_reused_slug_with_another_date_is_another_recall():
    ids = group_ids([member("11163", "cpsc_usagov", "2011/sunsations", dt.date(2011, 3, 10)),
                     member("2010/s", slug="2010/sunsations", date=dt.date(2009, 12, 3))])
    assert len(set(ids.values())) == 2


def test_cpsc_s_copy_digit_on_a_slug_is_the_same_recall_on_the_same_day():
    ids = group_ids([member("12232", "cpsc_usagov", "2012/death-reported1"), member("2012/p", slug="2012/death-reported")])
    assert set(ids.values()) == {"CPSC-12232"}


def test_numbers_of_two_agencies_never_merge():
    ids = group_ids([member("F-1", "openfda_enforcement", agency="FDA"), member("F-1", "cpsc_usagov")])
    assert set(ids.values()) == {"FDA-F-1", "CPSC-F-1"}


def test_every_shared_record_of_the_real_files_gets_a_group_and_sources_merge():
    members = []
    for name in RECALL_FILES:
        for record in parse_document(json.loads(data_file(name).read_text())).records:
            members.append(GroupMember(record.agency, record.recall_number, record.source, derive(record).slug,
                                       record.recall_date))
    ids = group_ids(members)
    assert len(ids) == len(members)
    groups = set(ids.values())
    # 3,852 records are about 3,070 recalls: the 2013 file and the index overlap by ~780.
    assert 3000 < len(groups) < 3150
    assert ids[("CPSC", "13087")] == evidence_id("CPSC", "13087")
    assert ids[("CPSC", "2013/Fisher-Price-Recalls-to-Inspect-Rock-N-Play-Infant-Sleepers-Due-to-Risk-of-Exposure-to-Mold")] == "CPSC-13087"
