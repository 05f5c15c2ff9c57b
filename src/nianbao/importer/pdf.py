"""PDF reports with a text layer, through poppler's `pdftotext -layout`.

`-layout` keeps each table row on one line with its cells apart, which is what the aligner needs;
on LibreOffice-made PDFs of our reports it gives every number and label (see the tests). A scanned
PDF has no text layer: that is reported, not guessed at.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import UsageError
from .align import Document
from .labels import squash
from .text import parse_layout

PDFTOTEXT_TIMEOUT_S = 60
# A published annual report runs to about 10-30 pages; the tables never lie beyond this. A PDF of
# thousands of pages (one content stream repeated) would otherwise cost minutes and hundreds of MB.
MAX_PDF_PAGES = 200


def pdf_text(path: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise UsageError("读取 PDF 需要 poppler 的 pdftotext 程序（Debian/Ubuntu：apt-get install poppler-utils）。")
    try:
        done = subprocess.run(
            [exe, "-layout", "-enc", "UTF-8", "-l", str(MAX_PDF_PAGES), str(path), "-"],
            capture_output=True,
            timeout=PDFTOTEXT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise UsageError(f"{path.name}：读取 PDF 超时。") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise UsageError(f"{path.name} 不是可读取的 PDF 文件：{reason[0]}")
    return done.stdout.decode("utf-8", "replace")


def read_pdf(path: Path) -> Document:
    text = pdf_text(path)
    if not squash(text.replace("\f", "")):
        raise UsageError(f"{path.name} 没有文字层（可能是扫描件），无法读取；请向发布单位索取 Word 或网页版本。")
    return Document(parse_layout(text), source="pdf", columns_from_layout=True)
