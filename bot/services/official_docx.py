"""A Word document in the layout of Party and government official documents (GB/T 9704, in spirit).

A4 with the standard's margins (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm); the title in
a 小标宋 face at 二号 (22 pt), centred; body text in a 仿宋 face at 三号 (16 pt) on a fixed 28 pt
line, first line indented two characters; headings 一、 in 黑体, （一） in 楷体, 1. in bold 仿宋;
page numbers "— 1 —" in the footer; the issuing body and the date at the end, right-aligned.
Font names are the ones offices have installed (configurable); python-docx writes them as the
East Asian font of each run, which is what Word and WPS use for Chinese characters.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

TITLE_PT, BODY_PT, TABLE_PT, FOOTER_PT = 22, 16, 12, 14
LINE_PT = 28  # 22 lines a page at 三号, as the standard's 版心 has


@dataclass(frozen=True)
class Fonts:
    title: str = "方正小标宋简体"
    body: str = "仿宋_GB2312"
    heading: str = "黑体"
    subheading: str = "楷体_GB2312"
    latin: str = "Times New Roman"

    @classmethod
    def from_mapping(cls, overrides: dict[str, str] | None) -> Fonts:
        known = {k: v for k, v in (overrides or {}).items() if k in cls.__dataclass_fields__ and v}
        return cls(**known)


def chinese_date(day: date) -> str:
    """成文日期 as the 2012 standard writes it: Arabic numerals, 年月日, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
# Table cells: single lines, no space around (the body's 28 pt grid and spacing are not for tables).
_TIGHT = '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
# Characters XML 1.0 does not allow (user text is stored verbatim and may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def _run_properties(font: str, latin: str, size: float) -> str:
    half_points = int(size * 2)
    latin, font = escape(latin, {'"': "&quot;"}), escape(font, {'"': "&quot;"})
    return (f'<w:rPr><w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{font}"/>'
            f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>')


def _column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], total: int) -> list[int]:
    """Twips per column, in proportion to the longest text in each (within limits)."""
    longest = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    weights = [min(max(n, 3), 24) for n in longest]
    return [total * w // sum(weights) for w in weights]


def _set_font(run: Any, name: str, size: float, *, latin: str, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = latin
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


class OfficialDocument:
    """Builds the document top to bottom; ``to_bytes`` returns the .docx file."""

    def __init__(self, fonts: Fonts | None = None) -> None:
        from docx import Document
        from docx.oxml.ns import qn
        from docx.shared import Mm, Pt

        self.fonts = fonts or Fonts()
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.footer_distance = Mm(20)
        normal = self.doc.styles["Normal"]
        normal.font.name = self.fonts.latin
        normal.font.size = Pt(BODY_PT)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), self.fonts.body)
        self._footer_page_number()

    @property
    def text_width_mm(self) -> float:
        return 210 - 28 - 26

    # ---- paragraphs ---------------------------------------------------------------------------------

    def _paragraph(self, text: str, font: str, size: float, *, bold: bool = False, align: str = "justify",
                   indent_chars: float = 2, exact_line: bool = True, right_chars: float = 0) -> Any:
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
        from docx.shared import Pt

        p = self.doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.alignment = {"justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                         "right": WD_ALIGN_PARAGRAPH.RIGHT, "left": WD_ALIGN_PARAGRAPH.LEFT}[align]
        fmt.first_line_indent = Pt(size * indent_chars) if indent_chars else None
        fmt.right_indent = Pt(size * right_chars) if right_chars else None
        fmt.space_before = fmt.space_after = Pt(0)
        if exact_line:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(LINE_PT)
        if text:
            _set_font(p.add_run(text), font, size, latin=self.fonts.latin, bold=bold)
        return p

    def title(self, text: str) -> None:
        from docx.enum.text import WD_LINE_SPACING
        from docx.shared import Pt

        p = self._paragraph(text, self.fonts.title, TITLE_PT, align="center", indent_chars=0, exact_line=False)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        p.paragraph_format.line_spacing = Pt(35)
        self.blank()

    def blank(self) -> None:
        self._paragraph("", self.fonts.body, BODY_PT)

    def heading(self, text: str) -> None:
        """一、 level: 黑体."""
        self._paragraph(text, self.fonts.heading, BODY_PT)

    def subheading(self, text: str) -> None:
        """（一） level: 楷体."""
        self._paragraph(text, self.fonts.subheading, BODY_PT)

    def item(self, text: str) -> None:
        """1. level: bold 仿宋 for the number and text."""
        self._paragraph(text, self.fonts.body, BODY_PT, bold=True)

    def body(self, text: str) -> None:
        self._paragraph(text, self.fonts.body, BODY_PT)

    def signature(self, issuer: str, day: date, contact: str = "") -> None:
        """发文机关署名 and 成文日期, right-aligned four characters from the margin; 附注 below."""
        self.blank()
        self._paragraph(issuer, self.fonts.body, BODY_PT, align="right", indent_chars=0, right_chars=4)
        self._paragraph(chinese_date(day), self.fonts.body, BODY_PT, align="right", indent_chars=0, right_chars=4)
        if contact:
            self._paragraph(f"（{contact}）", self.fonts.body, BODY_PT)

    # ---- tables and images ------------------------------------------------------------------------

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A bordered table, header row in 黑体 repeated on every page, cells in 仿宋 at 小四.

        Written as one XML fragment: python-docx's cell-by-cell API takes seconds for a few
        hundred rows (the 群体性苗头 list of a busy month), this takes milliseconds.
        """
        from docx.oxml import parse_xml

        widths = _column_widths(headers, rows, int(self.text_width_mm / 25.4 * 1440))
        border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                         for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        parts = [f'<w:tbl {_NS}><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
                 f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>']
        parts += [f'<w:gridCol w:w="{w}"/>' for w in widths]
        parts.append("</w:tblGrid>")
        for r, values in enumerate([list(headers), *[list(row) for row in rows]]):
            parts.append("<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if r == 0 else "") + "</w:trPr>")
            font = self.fonts.heading if r == 0 else self.fonts.body
            props = _run_properties(font, self.fonts.latin, TABLE_PT)
            for value, width in zip(values, widths, strict=True):
                align = "center" if r == 0 or len(value) <= 12 else "left"
                parts.append(
                    f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                    f'<w:p><w:pPr>{_TIGHT}<w:ind w:firstLine="0"/><w:jc w:val="{align}"/>{props}</w:pPr><w:r>{props}'
                    f'<w:t xml:space="preserve">{_xml_text(value)}</w:t></w:r></w:p></w:tc>')
            parts.append("</w:tr>")
        parts.append("</w:tbl>")
        self.doc.element.body._insert_tbl(parse_xml("".join(parts)))
        self._paragraph("", self.fonts.body, TABLE_PT, exact_line=False)

    def image(self, png: bytes, width_mm: float | None = None) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        # A picture in a fixed-height line would be clipped: its paragraph has single spacing.
        p = self._paragraph("", self.fonts.body, BODY_PT, align="center", indent_chars=0, exact_line=False)
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_together = True
        p.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm or self.text_width_mm * 0.92))

    # ---- footer and output ------------------------------------------------------------------------

    def _footer_page_number(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        p = self.doc.sections[0].footer.paragraphs[0]
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(p.add_run("— "), self.fonts.body, FOOTER_PT, latin=self.fonts.latin)
        run = p.add_run()
        _set_font(run, self.fonts.body, FOOTER_PT, latin=self.fonts.latin)
        for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, None), ("end", None)):
            if kind is not None:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), kind)
            elif text is not None:
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = f" {text} "
            else:
                element = OxmlElement("w:t")
                element.text = "1"
            run._element.append(element)
        _set_font(p.add_run(" —"), self.fonts.body, FOOTER_PT, latin=self.fonts.latin)

    def to_bytes(self, title: str) -> bytes:
        self.doc.core_properties.title = title
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()
