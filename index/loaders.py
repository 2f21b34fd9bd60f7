"""Read a corpus file into plain text: .txt/.md (encoding detected), .docx, .pdf and .html.

Tables in .docx and .html become tab-separated lines, the same shape the text files use, so one
table parser serves every format. Anything that cannot be read raises ``LoadError`` with a reason
a person can act on; the caller skips that file and indexes the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import charset_normalizer

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".docx", ".pdf", ".html", ".htm"}
SIDECAR_SUFFIX = ".meta.toml"


class LoadError(Exception):
    """A corpus file that cannot be indexed; the message says why."""


def corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Every candidate document under corpus_dir (sorted), skipping sidecars and hidden files."""
    for path in sorted(corpus_dir.rglob("*")):
        if not path.is_file() or any(
            part.startswith((".", "_")) for part in path.relative_to(corpus_dir).parts
        ):
            continue
        if path.name.endswith(SIDECAR_SUFFIX):
            continue
        yield path


def load_text(path: Path) -> tuple[str, str]:
    """Return (text, how it was decoded) for a supported file, or raise LoadError."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(
            f"unsupported file type '{suffix or path.name}' (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError("file is empty")
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_text(data)
    elif suffix == ".docx":
        text, encoding = _docx_text(path), "docx"
    elif suffix == ".pdf":
        text, encoding = _pdf_text(path), "pdf"
    else:
        text, encoding = _html_text(decode_text(data)[0]), "html"
    if not text.strip():
        raise LoadError("no text could be extracted (scanned image or empty document?)")
    return text, encoding


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes of a Chinese text file: UTF-8 (with or without BOM), GB18030/GBK, else best guess."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError("file looks binary (NUL bytes), not text")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise LoadError("cannot detect the text encoding (not UTF-8, GB18030 or a known code page)")
    return str(best), best.encoding


def _docx_text(path: Path) -> str:
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise LoadError(f"not a readable .docx file ({exc.__class__.__name__}: {exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile, lxml errors on truncated files
        raise LoadError(f"not a readable .docx file ({exc.__class__.__name__})") from exc
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(node.text or "" for node in child.iter() if node.tag.endswith("}t")))
        elif tag == "tbl":
            lines.append("")
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = [
                        "".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                        for cell in row.iterchildren()
                        if cell.tag.endswith("}tc")
                    ]
                    lines.append("\t".join(cells))
            lines.append("")
    return "\n".join(lines)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"not a readable .pdf file ({exc.__class__.__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise LoadError(f"not a readable .pdf file ({exc.__class__.__name__})") from exc
    # A page break becomes a blank line; the cleaner re-joins sentences broken across it.
    return "\n\n".join(pages)


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "head", "nav", "footer"]):
        tag.decompose()
    for table in soup.find_all("table"):
        rows = []
        for tr in table.find_all("tr"):
            rows.append("\t".join(cell.get_text(" ", strip=True) for cell in tr.find_all(["td", "th"])))
        table.replace_with("\n\n" + "\n".join(rows) + "\n\n")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for element in soup.find_all(["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "div"]):
        element.insert_after("\n")
    return soup.get_text()
