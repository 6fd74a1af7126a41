"""Turn raw bytes of a text history into ``str``, or say exactly where they are not text."""

from __future__ import annotations

import codecs

from reporter.errors import HistoryError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes, path: str) -> str:
    """Decode UTF-8 (or UTF-8/16/32 with a BOM); anything else is a :class:`HistoryError`."""
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            encoding, body = bom_encoding, data[len(bom) :]
            break
    else:
        encoding, body = "utf-8", data
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1]
        raise HistoryError(
            f"not {encoding.upper()} text: byte 0x{bad.hex()} at offset "
            f"{exc.start + len(data) - len(body)} (save the file as UTF-8)",
            path=path,
        ) from exc
    if "\x00" in text:
        raise HistoryError(
            f"NUL character at offset {text.index(chr(0))}: not a text file", path=path
        )
    return text
