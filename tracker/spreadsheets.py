"""CSV that spreadsheet software opens safely: UTF-8 with a BOM for the Chinese text, and no formulas.

A cell that begins with = + - @ (or a tab or carriage return, which some programs skip before reading a
formula) is prefixed with an apostrophe, so that `=HYPERLINK(...)` typed by a consumer stays text (OWASP,
CSV injection).
"""

import csv
import io
from collections.abc import Iterable
from collections.abc import Sequence

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: The byte-order mark by which Excel recognises UTF-8.
UTF8_BOM = "\ufeff"


def neutralise_cell(value: object) -> str:
    """The cell as text that no spreadsheet evaluates."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file, BOM first, every cell neutralised (headings too)."""
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
    return buffer.getvalue()
