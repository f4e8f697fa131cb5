from __future__ import annotations

import codecs

import pytest

from imports.csvfile import CsvFileError, csv_inspect, csv_records


def test_it_reads_the_header_samples_and_where_the_data_starts():
    content = b"Email,First Name\r\nada@example.com,Ada\r\ngrace@example.com,Grace\r\n"

    layout = csv_inspect(content)

    assert layout.columns == ["Email", "First Name"]
    assert layout.delimiter == ","
    assert layout.encoding == "utf-8"
    assert content[layout.data_offset :].startswith(b"ada@example.com")
    assert layout.samples == [["ada@example.com", "Ada"], ["grace@example.com", "Grace"]]


def test_it_skips_a_utf8_bom_and_detects_semicolons():
    content = codecs.BOM_UTF8 + "email;prénom\nada@example.com;Adèle\n".encode()

    layout = csv_inspect(content)

    assert layout.columns == ["email", "prénom"]
    assert layout.delimiter == ";"
    assert layout.samples == [["ada@example.com", "Adèle"]]


def test_it_falls_back_to_windows_1252():
    layout = csv_inspect("email,city\nada@example.com,Zürich\n".encode("cp1252"))

    assert layout.encoding == "cp1252"
    assert layout.samples == [["ada@example.com", "Zürich"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x00\x00binary", "This is not a CSV file: it contains binary data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
        (b"<html><body>hi</body></html>", "This looks like HTML, XML or JSON, not CSV"),
        (b'{"email": "ada@example.com"}', "This looks like HTML, XML or JSON, not CSV"),
        (b"email,phone\n", "The file has a header row but no contacts below it."),
        (b"\r\n\n  \n", "The file is empty."),
    ],
)
def test_it_explains_why_a_file_is_not_a_usable_csv(content, message):
    with pytest.raises(CsvFileError) as caught:
        csv_inspect(content)

    assert message in str(caught.value)


def test_its_records_end_where_the_next_one_starts_even_with_quoted_newlines():
    piece = b'a,"two\nlines"\r\nb,plain\n\nc,last'

    records = csv_records(piece, at_eof=True, encoding="utf-8", delimiter=",", limit=10)

    assert [r.values for r in records] == [["a", "two\nlines"], ["b", "plain"], ["c", "last"]]
    assert piece[records[0].end :].startswith(b"b,plain")
    # The blank line is consumed with the record before it.
    assert piece[records[1].end :].startswith(b"c,last")
    assert records[2].end == len(piece)


def test_it_leaves_a_record_that_may_be_cut_for_the_next_slice():
    file = b'a,1\nb,"quoted value\ncontinues"\nc,3\n'
    cut = file[: file.index(b"continues")]

    records = csv_records(cut, at_eof=False, encoding="utf-8", delimiter=",", limit=10)

    assert [r.values for r in records] == [["a", "1"]]
    rest = csv_records(
        file[records[0].end :], at_eof=True, encoding="utf-8", delimiter=",", limit=10
    )
    assert [r.values for r in rest] == [["b", "quoted value\ncontinues"], ["c", "3"]]


def test_it_stops_at_the_limit():
    piece = b"a\nb\nc\n"

    records = csv_records(piece, at_eof=True, encoding="utf-8", delimiter=",", limit=2)

    assert [r.values for r in records] == [["a"], ["b"]]
    assert piece[records[-1].end :] == b"c\n"
