"""Font fallbacks for the PDF preview on machines without the 公文 fonts.

The report names 方正小标宋简体, 黑体, 楷体_GB2312 and 仿宋_GB2312 (present on government PCs). Elsewhere
LibreOffice asks fontconfig for a substitute and, left alone, picks a sans-serif Japanese face for all of
them. For the conversion we hand LibreOffice a fontconfig file that includes the system configuration and
adds aliases: each official font → a free font of the same kind when installed, else Noto CJK SC.
"""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import escape

from . import styles

_SYSTEM_CONFIG = "/etc/fonts/fonts.conf"  # fontconfig's standard location on Linux

# official font → (preferred free fonts in order, weight to force or None)
FALLBACKS: dict[str, tuple[tuple[str, ...], str | None]] = {
    styles.FONT_TITLE: (("FZXiaoBiaoSong-B05S", "Noto Serif CJK SC", "Source Han Serif SC"), "bold"),
    styles.FONT_HEADING1: (("SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei"), None),
    styles.FONT_HEADING2: (("KaiTi", "AR PL UKai CN", "AR PL KaitiM GB", "Noto Serif CJK SC"), None),
    styles.FONT_BODY: (("FangSong", "仿宋", "cwTeXFangSong", "Noto Serif CJK SC", "Source Han Serif SC"), None),
    styles.FONT_PAGE_NUMBER: (("SimSun", "Noto Serif CJK SC", "AR PL SungtiL GB"), None),
}


def _match_rule(family: str, prefer: tuple[str, ...], weight: str | None) -> str:
    families = "".join(f"<string>{escape(f)}</string>" for f in prefer)
    weight_edit = f'<edit name="weight" mode="assign"><const>{weight}</const></edit>' if weight else ""
    return (
        f'<match target="pattern"><test name="family"><string>{escape(family)}</string></test>'
        f'<edit name="family" mode="prepend" binding="strong">{families}</edit>{weight_edit}</match>'
    )


def fontconfig_xml(system_config: str | None = None) -> str:
    base = system_config or os.environ.get("FONTCONFIG_FILE") or _SYSTEM_CONFIG
    rules = "\n  ".join(_match_rule(family, prefer, weight) for family, (prefer, weight) in FALLBACKS.items())
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f'  <include ignore_missing="yes">{escape(base)}</include>\n  {rules}\n</fontconfig>\n'
    )


def write_fontconfig(directory: Path) -> Path:
    path = directory / "fonts.conf"
    path.write_text(fontconfig_xml(), encoding="utf-8")
    return path
