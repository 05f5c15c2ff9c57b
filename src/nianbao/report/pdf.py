"""PDF through LibreOffice: one headless call for many files, its own profile, a timeout, output checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import NianbaoError
from .fonts import write_fontconfig

DEFAULT_TIMEOUT = 180.0
_CANDIDATES = ("soffice", "libreoffice")


def find_soffice() -> str | None:
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def convert_to_pdf(documents: Sequence[Path], outdir: Path, *, timeout: float = DEFAULT_TIMEOUT) -> list[Path]:
    """Convert .docx files to PDF in `outdir` (one LibreOffice run) and return the PDF paths.

    A fresh user profile per run: parallel runs sharing a profile fail, and a user's open LibreOffice
    would otherwise receive the job instead.
    """
    soffice = find_soffice()
    if soffice is None:
        raise NianbaoError(
            "未安装 LibreOffice，无法生成 PDF（Word 报告已生成）。"
            "如需 PDF，请安装 LibreOffice（Debian/Ubuntu：sudo apt install libreoffice-writer），"
            "或用 Word/WPS 打开报告后“另存为 PDF”。"
        )
    outdir.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="nianbao-lo-") as profile,
        tempfile.TemporaryDirectory(prefix="nianbao-pdf-", dir=outdir) as staging,
    ):
        command = [
            soffice,
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            staging,
            *(str(d.resolve()) for d in documents),
        ]
        env = {**os.environ, "HOME": profile, "FONTCONFIG_FILE": str(write_fontconfig(Path(profile)))}
        try:
            completed = subprocess.run(command, capture_output=True, timeout=timeout, check=False, env=env)
        except subprocess.TimeoutExpired as exc:
            raise NianbaoError(
                f"LibreOffice 转换 PDF 超时（{timeout:.0f} 秒），请稍后重试或用 Word/WPS 另存为 PDF。"
            ) from exc
        results = []
        for document in documents:
            produced = Path(staging) / (document.stem + ".pdf")
            if not produced.is_file() or produced.stat().st_size == 0 or produced.read_bytes()[:5] != b"%PDF-":
                detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
                raise NianbaoError(
                    f"LibreOffice 未能把 {document.name} 转为 PDF" + (f"：{detail[-1]}" if detail else "。")
                )
            target = outdir / produced.name
            os.replace(produced, target)
            results.append(target)
        return results
