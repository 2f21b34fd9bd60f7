"""Loading each supported format, encodings, and clear reasons for files that cannot be indexed."""

from __future__ import annotations

import pytest
from policyqa.index.loaders import LoadError, corpus_files, load_text

TEXT = "一、总则\n为促进就业，制定本办法。\n二、附则\n本办法自2023年1月1日起施行。\n"


def _minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one Helvetica text line per page (ASCII only: no CJK font is available offline)."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        None,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content_ref = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_ref} 0 R"
            " /Resources << /Font << /F1 3 0 R >> >> >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_text_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "doc.txt"
    path.write_bytes(TEXT.encode(encoding))
    text, used = load_text(path)
    assert text.lstrip("\ufeff") == TEXT
    assert used in {"utf-8", "utf-8-sig", "gb18030"}


def test_docx_paragraphs_and_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("一、主要指标")
    table = document.add_table(rows=2, cols=3)
    for i, cells in enumerate([["指标", "单位", "2025年"], ["城镇新增就业", "万人", "15"]]):
        for j, value in enumerate(cells):
            table.cell(i, j).text = value
    document.add_paragraph("二、保障措施")
    path = tmp_path / "plan.docx"
    document.save(path)
    text, kind = load_text(path)
    assert kind == "docx"
    lines = [line for line in text.split("\n") if line]
    assert lines == ["一、主要指标", "指标\t单位\t2025年", "城镇新增就业\t万人\t15", "二、保障措施"]


def test_html_drops_scripts_and_keeps_tables(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>t</title><script>alert(1)</script></head><body><p>一、总则</p>"
        "<p>本办法适用于全市。</p><table><tr><th>指标</th><th>单位</th></tr><tr><td>就业</td><td>万人</td></tr></table>"
        "</body></html>",
        encoding="utf-8",
    )
    text, _ = load_text(path)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    assert "alert" not in text
    assert lines == ["一、总则", "本办法适用于全市。", "指标\t单位", "就业\t万人"]


def test_pdf_pages_become_blank_line_separated_text(tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(_minimal_pdf(["Article one applies", "to the whole city."]))
    text, kind = load_text(path)
    assert kind == "pdf"
    assert text.split("\n\n") == ["Article one applies", "to the whole city."]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
        ("table.xlsx", b"PK\x03\x04", "unsupported"),
        ("broken.docx", b"PK\x03\x04 this is not really a docx", "not a readable .docx"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "not a readable .pdf"),
    ],
)
def test_bad_files_raise_a_clear_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason):
        load_text(path)


def test_truncated_real_pdf_is_reported(tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(_minimal_pdf(["Some text"])[:120])
    with pytest.raises(LoadError):
        load_text(path)


def test_corpus_listing_skips_sidecars_and_hidden_files(tmp_path):
    for name in ["a.txt", "a.meta.toml", ".hidden.txt", "_draft.txt", "b.docx"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.name for p in corpus_files(tmp_path)] == ["a.txt", "b.docx"]
