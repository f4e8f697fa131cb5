"""Read uploaded CSV files: tell whether a file is CSV at all, and read its records by byte range.

No database here. An import reads its file in slices (`csv_records`): each record comes with the
byte offset where it ends, so the next chunk starts exactly after the last record committed.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass

ENCODINGS = ("utf-8", "cp1252")  # UTF-8 (with or without BOM), else what Excel on Windows saves
DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
SAMPLE_ROWS = 3


class CsvFileError(ValueError):
    """The file cannot be imported as CSV; the message says why and what to do."""


@dataclass(frozen=True)
class CsvLayout:
    encoding: str
    delimiter: str
    columns: list[str]
    data_offset: int  # the byte where the first row after the header starts
    samples: list[list[str]]  # the first rows, to help whoever maps the columns


@dataclass(frozen=True)
class CsvRecord:
    values: list[str]
    end: int  # offset (in the slice) of the byte after this record


class _LineFeed:
    """Decoded lines for csv.reader, counting the bytes it has consumed.

    csv.reader pulls one line at a time and only as many as the record needs, so after each
    record `consumed` is exactly where that record ends.
    """

    def __init__(self, lines: list[bytes], encoding: str) -> None:
        self.lines, self.encoding = lines, encoding
        self.index = self.consumed = 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.index >= len(self.lines):
            raise StopIteration
        raw = self.lines[self.index]
        self.index += 1
        self.consumed += len(raw)
        return raw.decode(self.encoding, errors="replace")

    @property
    def exhausted(self) -> bool:
        return self.index >= len(self.lines)


def _complete_lines(piece: bytes, at_eof: bool) -> list[bytes]:
    parts = piece.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1] and at_eof:
        lines.append(parts[-1])
    return lines


def csv_records(
    piece: bytes, *, at_eof: bool, encoding: str, delimiter: str, limit: int
) -> list[CsvRecord]:
    """Up to `limit` whole records from the start of `piece` (blank lines skipped).

    When the piece is not the end of the file, a record that reaches its last byte may be cut
    (a quoted value going on past it), so it is left for the next slice.
    """
    feed = _LineFeed(_complete_lines(piece, at_eof), encoding)
    reader = csv.reader(feed, delimiter=delimiter, strict=False)
    records: list[CsvRecord] = []
    while len(records) < limit:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CsvFileError(f"A row is not valid CSV ({exc}).") from None
        if not at_eof and feed.exhausted:
            break  # possibly cut: the next slice starts with it
        if any(value.strip() for value in values):
            records.append(CsvRecord(values=values, end=feed.consumed))
        elif records:
            # A blank line: skipped, but the next chunk must start after it.
            records[-1] = CsvRecord(values=records[-1].values, end=feed.consumed)
    return records


def _decode_check(content: bytes) -> str:
    if b"\x00" in content:
        raise CsvFileError(
            "This is not a CSV file: it contains binary data (an Excel workbook, a zip or an "
            "image?). Save the sheet as 'CSV UTF-8 (comma delimited)' and upload that."
        )
    for encoding in ENCODINGS:
        try:
            codecs.decode(content, encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise CsvFileError("This file is not text in UTF-8 or Windows-1252; save it as CSV UTF-8.")


def _sniff_delimiter(sample: str) -> str:
    lines = "\n".join(sample.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(lines, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def csv_inspect(content: bytes) -> CsvLayout:
    """Check that `content` is a CSV file with a header row and at least one row of data."""
    if not content.strip():
        raise CsvFileError("The file is empty.")
    encoding = _decode_check(content)
    start = len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) else 0
    head = content[start : start + SNIFF_BYTES]
    sample = head.decode(encoding, errors="replace")
    if sample.lstrip()[:1] in ("<", "{", "["):
        raise CsvFileError(
            "This looks like HTML, XML or JSON, not CSV. Upload a CSV file: one header row "
            "naming the columns, then one contact per row."
        )
    delimiter = _sniff_delimiter(sample)
    at_eof = start + SNIFF_BYTES >= len(content)
    records = csv_records(
        head, at_eof=at_eof, encoding=encoding, delimiter=delimiter, limit=1 + SAMPLE_ROWS
    )
    if not records:
        raise CsvFileError("The file has no complete row in its first 64 KiB.")
    # The first non-blank row names the columns (a blank row has no value at all).
    columns = [name.strip() for name in records[0].values]
    if len(records) < 2:
        raise CsvFileError("The file has a header row but no contacts below it.")
    return CsvLayout(
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        data_offset=start + records[0].end,
        samples=[record.values for record in records[1:]],
    )
