"""Which text encoding a CSV file is in: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 — else refused.

Excel on Chinese Windows saves CSV as GB18030/GBK, elsewhere as UTF-8 (often with a BOM); "Unicode
text" is UTF-16 with a BOM. Anything else (Big5, Shift-JIS, UTF-16 without a BOM…) would decode as
GB18030 into mojibake or not at all, so it is detected (charset-normalizer) and refused naming the
encoding found, unless the office names the encoding itself (`--encoding`, the form's field).
"""

from __future__ import annotations

import codecs

from django.utils.translation import gettext as _

# Encodings read as GB18030 (its subsets, as charset-normalizer names them).
GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "cp936", "hz"})
SAMPLE_BYTES = 1 << 20


class EncodingError(ValueError):
    """The file's encoding is not one the import reads; the message names the encoding detected."""


def normalised_encoding(name: str) -> str:
    """Python's canonical name of an encoding the user named; EncodingError if there is no such encoding."""
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise EncodingError(_("未知的文件编码 %(name)s") % {"name": name}) from None


def detect(blocks, explicit: str | None = None) -> tuple[str, int]:
    """(encoding to read with, line count) from the file's byte blocks.

    `explicit`, when given, is trusted (decoding errors are then reported by the reader).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, first, lines, nul = True, b"", 0, False
    for block in blocks:
        if not first:
            first = block[:SAMPLE_BYTES]
        lines += block.count(b"\n")
        nul = nul or b"\x00" in block
        if utf8:
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError:
                utf8 = False
    if explicit:
        return normalised_encoding(explicit), lines
    if first.startswith(codecs.BOM_UTF8):
        return ("utf-8-sig" if utf8 else _refuse(first)), lines
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", max(lines, first.count(b"\n\x00") + first.count(b"\x00\n"))
    if utf8 and not nul:
        try:
            decoder.decode(b"", final=True)
            return "utf-8", lines
        except UnicodeDecodeError:
            pass
    found, candidates = _detected(first)
    if not nul and (found in GB_FAMILY or (GB_FAMILY & candidates and common_chinese_share(first) >= 0.9)):
        return "gb18030", lines
    return _refuse(first, found)


def common_chinese_share(sample: bytes) -> float:
    """Of the non-ASCII characters of `sample` read as GB18030, the share that are everyday Chinese.

    Everyday Chinese text keeps to GB2312's first level of hanzi (3,755 characters) and its punctuation;
    Big5 or Shift-JIS bytes read as GB18030 land mostly outside them. A short file leaves the detector
    with several equally good guesses, and this tells a Chinese office's file apart.
    """
    text = sample.decode("gb18030", errors="replace")
    others = [c for c in text if ord(c) > 127]
    if not others:
        return 0.0
    common = 0
    for char in others:
        try:
            lead = char.encode("gb2312")[0]
        except UnicodeEncodeError:
            continue
        common += 0xA1 <= lead <= 0xA9 or 0xB0 <= lead <= 0xD7
    return common / len(others)


def _detected(sample: bytes) -> tuple[str | None, set[str]]:
    """charset-normalizer's best guess and all its candidates."""
    from charset_normalizer import from_bytes  # imported when a file is not UTF-8 only

    matches = from_bytes(sample)
    best = matches.best()
    return (best.encoding.lower() if best is not None else None), {m.encoding.lower() for m in matches}


def _refuse(sample: bytes, found: str | None = None):
    found = found or _detected(sample)[0] or _("无法识别")
    raise EncodingError(
        _(
            "文件编码为 %(encoding)s，不是 UTF-8 或 GB18030：为免乱码未导入。请在 Excel 中另存为"
            "“CSV UTF-8”，或指定文件的编码（命令行 --encoding，导入页面的“文件编码”）"
        )
        % {"encoding": found}
    )
