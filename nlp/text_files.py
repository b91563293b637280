"""Reading a text file whose encoding nobody told us: UTF-8 (with or without BOM) or GBK/GB18030.

Excel on Chinese Windows saves "CSV" in GBK; newer Excel offers "CSV UTF-8" with a BOM; scripts
write plain UTF-8. ``decode_text`` tries them in that order of certainty and names the one it
used; bytes that are none of them raise ``UndecodableText`` with a message in Chinese instead of a
``UnicodeDecodeError`` traceback.
"""

from __future__ import annotations

import codecs
from pathlib import Path


class UndecodableText(ValueError):
    """Neither UTF-8 nor GB18030 (nor UTF-16 with a BOM); ``str()`` says so in Chinese."""


def decode_text(data: bytes, name: str = "文件") -> tuple[str, str]:
    """(text, encoding used). A UTF-8 BOM is dropped; GBK files decode as GB18030, its superset."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]  # Excel's "Unicode text"
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # a binary file (xls, zip) that happened to decode
            break
        return text, encoding
    raise UndecodableText(f"{name}：无法识别文件编码（不是 UTF-8 也不是 GBK/GB18030 文本），"
                          "请在 Excel 中“另存为”CSV UTF-8（逗号分隔）后重新导入。")


def read_text_file(path: str | Path) -> str:
    """The file's text in whichever of UTF-8 / UTF-8 with BOM / GBK / GB18030 it is written."""
    p = Path(path)
    return decode_text(p.read_bytes(), p.name)[0]
