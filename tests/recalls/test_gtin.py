"""Tests for UPC/EAN/GTIN parsing, keys and code extraction."""

from __future__ import annotations

import pytest

from babyshield_chat.recalls.gtin import (
    GtinError,
    check_digit,
    extract_codes,
    parse_gtin,
    scan_codes,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("81798001113", 7),  # 4moms breeze play-yard sheets, CPSC 13115
        ("07830001023", 4),  # Playtex latex pacifiers, CPSC 00121
        ("0085004496889", 3),  # ByHeart formula 2-pack GTIN-14 (FDA H-0249-2026)
        ("2424515", 9),  # GTIN-8 from CPSC 13259
    ],
)
def test_check_digit_matches_real_codes(body: str, expected: int) -> None:
    assert check_digit(body) == expected


def test_check_digit_ignores_left_zero_padding() -> None:
    assert check_digit("81798001113") == check_digit("0081798001113")


@pytest.mark.parametrize(
    ("raw", "key", "upc_a"),
    [
        ("817980011137", "00817980011137", "817980011137"),
        ("078300010234", "00078300010234", "078300010234"),
        ("0817980011137", "00817980011137", "817980011137"),  # as EAN-13
        ("00817980011137", "00817980011137", "817980011137"),  # as GTIN-14
        ("0 7789028735 4", "00077890287354", "077890287354"),  # printed with spaces
        ("0 31193-00701 9", "00031193007019", "031193007019"),  # spaces and hyphen
    ],
)
def test_upc_spellings_share_one_key_and_give_back_the_upc_a(raw: str, key: str, upc_a: str) -> None:
    code = parse_gtin(raw)

    assert code.key == key
    assert code.upc_a == upc_a
    assert code.valid
    assert code.display == upc_a


def test_ean13_that_is_not_a_padded_upc_has_no_upc_a() -> None:
    code = parse_gtin("9781405411448")  # book EAN from CPSC 08326

    assert code.key == "09781405411448"
    assert code.upc_a is None
    assert code.ean13 == "9781405411448"
    assert code.display == "9781405411448"


def test_gtin8_is_padded_with_six_zeros_and_never_read_as_upc_a() -> None:
    code = parse_gtin("24245159")

    assert code.key == "00000024245159"
    assert code.upc_a is None
    assert code.ean8 == "24245159"
    assert code.valid


def test_candidates_list_every_spelling_once_with_the_key_first() -> None:
    code = parse_gtin("817980011137")

    assert code.candidates == ("00817980011137", "817980011137", "0817980011137")


def test_eleven_digit_upc_missing_its_leading_zero_gets_it_back() -> None:
    # CPSC 08230 stores 84543521109; the newer index row has 084543521109.
    code = parse_gtin("84543521109")

    assert code.upc_a == "084543521109"
    assert code.valid
    assert parse_gtin("084543521109").key == code.key


def test_bad_check_digit_is_kept_searchable_as_given_and_flagged() -> None:
    code = parse_gtin("947678164466")  # as printed in CPSC 08579

    assert not code.check_digit_ok
    assert not code.valid
    assert "947678164466" in code.problem and "check digit" in code.problem
    assert "947678164466" in code.candidates


def test_non_gtin_length_is_kept_and_flagged() -> None:
    code = parse_gtin("1116620961")

    assert not code.valid
    assert "10 digits" in code.problem
    assert code.candidates[-1] == "1116620961"


@pytest.mark.parametrize(
    ("raw", "quoted"),
    [
        ("", "''"),
        ("N/A - Clinical", "'N/A - Clinical'"),
        ("35826", "'35826'"),
        ("1524100121266045", "'1524100121266045'"),
        ("674891L", "'674891L'"),
        ("00000000", "'00000000'"),
    ],
)
def test_text_that_cannot_be_a_code_is_refused_quoting_it(raw: str, quoted: str) -> None:
    with pytest.raises(GtinError) as excinfo:
        parse_gtin(raw)

    assert quoted in str(excinfo.value)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("817980011137", ["817980011137"]),
        ("10005650, 10006051", ["10005650", "10006051"]),
        ("0 7789028735 4", ["077890287354"]),
        ("195861313861 195861313878 195861313885", ["195861313861", "195861313878", "195861313885"]),
        ("Retail UPCs:   070074533605  070074680859", ["070074533605", "070074680859"]),
        ("UPC 8 79840 00044 6. Mfg For: Rico Perez", ["879840000446"]),
        ("Single Can: 8 50044 96800 8; Sams Club 2PK: 00850044968893", ["850044968008", "00850044968893"]),
        ("UPC: 679234051814 EXP 03/2027", ["679234051814"]),
        ("Retail UPCs:   N/A - Clinical", []),
        ("024911 024912 024913", []),
        ("Batches:  27032K80 (can) / 27032K800 (case)", []),
    ],
)
def test_extract_codes_finds_each_code_in_real_field_spellings(text: str, codes: list[str]) -> None:
    assert extract_codes(text) == codes


def test_scan_codes_dedupes_by_key_and_reports_what_it_could_not_use() -> None:
    scan = scan_codes(["84543521109", "084543521109", "35826", "947678164466"])

    assert scan.keys == ("00084543521109", "00947678164466")
    assert any("'35826'" in p for p in scan.problems)
    assert any("947678164466" in p and "check digit" in p for p in scan.problems)


def test_scan_codes_of_clean_codes_reports_no_problem() -> None:
    scan = scan_codes(["078300010234", "078300010241"])

    assert scan.problems == ()
    assert [c.upc_a for c in scan.codes] == ["078300010234", "078300010241"]
