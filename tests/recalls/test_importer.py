"""`recalls import`: every shared file loads, re-imports change nothing, bad files fail cleanly."""

import json

import pytest

from babyshield_chat.recalls.importer import ImportFailed, import_file

from tests.support.data import RECALL_FILES, data_file
from tests.support.database import fetchval


@pytest.mark.parametrize("name", RECALL_FILES)
async def test_every_shared_file_imports_and_reimport_changes_nothing(database_url, name):
    first = await import_file(database_url, data_file(name))
    assert first.counts.inserted > 0
    assert first.read == first.counts.inserted + len(first.rejected)
    second = await import_file(database_url, data_file(name))
    assert (second.counts.inserted, second.counts.updated) == (0, 0)
    assert second.counts.unchanged == first.counts.inserted
    assert await fetchval(database_url, "SELECT count(*) FROM recalls") == first.counts.inserted


async def test_a_changed_record_is_updated_not_duplicated(database_url, tmp_path):
    records = json.loads(data_file("cpsc_child_recalls_2013_usagov_api.json").read_text())[:3]
    path = tmp_path / "three.json"
    path.write_text(json.dumps(records))
    await import_file(database_url, path)
    records[0]["hazards"] = ["A hazard this record never had"]
    path.write_text(json.dumps(records))
    report = await import_file(database_url, path)
    assert (report.counts.inserted, report.counts.updated, report.counts.unchanged) == (0, 1, 2)


async def test_malformed_records_are_reported_and_the_rest_imported(database_url, tmp_path):
    records = json.loads(data_file("cpsc_child_recalls_2013_usagov_api.json").read_text())[:2]
    broken = dict(records[0], recall_number=None)
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([records[1], broken, "not a record"]))
    report = await import_file(database_url, path)
    assert report.counts.inserted == 1
    assert [index for index, _ in report.rejected] == [1, 2]
    assert all(reason for _, reason in report.rejected)


@pytest.mark.parametrize(
    ("content", "problem"),
    [("{not json", "is not JSON"), ('{"hello": 1}', "not a recall document"), (b"\xff\xfe", "UTF-8")],
)
async def test_a_file_that_is_not_recall_json_writes_nothing(database_url, tmp_path, content, problem):
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ImportFailed, match=problem):
        await import_file(database_url, path)
    assert await fetchval(database_url, "SELECT count(*) FROM recall_imports") == 0


async def test_a_missing_file_is_an_import_error(database_url, tmp_path):
    with pytest.raises(ImportFailed, match="cannot read"):
        await import_file(database_url, tmp_path / "nope.json")
