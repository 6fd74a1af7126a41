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


def head_text(data: bytes, size: int = 4096) -> str:
    """The start of ``data`` as text for sniffing: BOM-aware, undecodable bytes dropped."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) : len(bom) + size].decode(encoding, "ignore")
    return data[:size].decode("utf-8", "ignore")


def _utf16_without_bom(data: bytes) -> bool:
    """Mostly-ASCII UTF-16 has a NUL in every other byte."""
    head = data[:512]
    if len(head) < 8:
        return False
    return any(head[k::2].count(0) >= 0.9 * len(head[k::2]) for k in (0, 1)) and (
        head[0::2].count(0) < 0.1 * len(head[0::2]) or head[1::2].count(0) < 0.1 * len(head[1::2])
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
            f"{exc.start + len(data) - len(body)}",
            path=path,
            hint="save the file as UTF-8 (latin-1 and other legacy encodings are not guessed)",
        ) from exc
    if "\x00" in text:
        if _utf16_without_bom(body):
            raise HistoryError(
                "UTF-16 text without a byte-order mark (NUL bytes between the letters)",
                path=path,
                hint="save the file as UTF-8 (or UTF-16 with a BOM)",
            )
        raise HistoryError(
            f"NUL character at offset {text.index(chr(0))}: not a text file",
            path=path,
            hint="a history is text (JSON or CSV); check that this is the right file",
        )
    return text
