"""A plain PDF of a report (the claim report's copy for the office and the AMS): a title and labelled
lines of text on A4 pages, Helvetica in WinAnsiEncoding (German letters and the euro sign), written
directly (PDF 1.4, no library, no fonts to ship)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56
LINE = 15
CHARS = 88  # characters per line at 10.5 pt Helvetica, roughly


def _text(value: str) -> bytes:
    """A PDF string literal in WinAnsiEncoding: (, ) and \\ escaped, what cp1252 lacks as '?'."""
    raw = value.encode("cp1252", errors="replace")
    raw = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + bytes(c if c >= 32 else 32 for c in raw) + b")"


def _lines(title: str, rows: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(font, text) per printed line: the title bold, each label bold, values wrapped."""
    out = [("F2", title), ("F1", "")]
    for label, value in rows:
        out.append(("F2", label))
        for paragraph in (value or "–").splitlines() or ["–"]:
            for piece in textwrap.wrap(paragraph, CHARS) or [""]:
                out.append(("F1", piece))
        out.append(("F1", ""))
    return out


def report(title: str, rows: Iterable[tuple[str, str]]) -> bytes:
    lines = _lines(title, rows)
    per_page = (PAGE_HEIGHT - 2 * MARGIN) // LINE
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    page_tree = add(b"")
    regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    kids = []
    for number, page in enumerate(pages, start=1):
        ops = [b"BT", b"%d %d Td" % (MARGIN, PAGE_HEIGHT - MARGIN), b"%d TL" % LINE]
        for font, text in page:
            size = 13 if font == "F2" and text == title else 10.5
            ops.append(b"/%s %s Tf" % (font.encode(), str(size).encode()))
            ops.append(_text(text) + b" Tj T*")
        ops.append(b"/F1 8 Tf")
        ops.append(b"ET")
        footer = b"BT /F1 8 Tf %d %d Td %s Tj ET" % (MARGIN, MARGIN // 2, _text(f"{number} / {len(pages)}"))
        stream = b"\n".join(ops) + b"\n" + footer
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>"
                % (page_tree, PAGE_WIDTH, PAGE_HEIGHT, content, regular, bold)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % page_tree
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)
