"""The words on figures, in English or Chinese (--lang zh), and the fonts that Chinese needs.

Chinese text is drawn through matplotlib's font fallback: DejaVu Sans for Latin and digits, then
an installed CJK font for the rest. Where none is installed, one warning line names the Debian
package that has one, and the figure is still written.
"""

from __future__ import annotations

import re

ZH = {
    "forward": "前向",
    "first derivative": "一阶导数",
    "second derivative": "二阶导数",
    "third derivative": "三阶导数",
    "by autograd": "（自动求导）",
    "Jacobian diagonal": "雅可比矩阵对角线",
    "Jacobian": "雅可比矩阵",
    "composed K times": "复合 K 次",
    "f(x) and its derivatives": "f(x) 及其导数",
    "kink: no derivative": "不可导点",
    "kink": "不可导点",
    "one-sided limits": "单侧极限",
    "one-sided derivatives": "单侧导数",
    "one-sided": "单侧",
    "value at the jump": "跳跃点的值",
    "value": "取值",
    "random slope per point": "每点随机斜率",
    "random": "随机",
    "asymptote": "渐近线",
    "pole": "极点",
    "detected": "检测到",
    "(detected)": "（检测到）",
    "depth K": "复合次数 K",
}
# Chinese, Japanese and Korean scripts, and the full-width punctuation that goes with them
CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
# Installed by fonts-noto-cjk (Debian), then other common CJK fonts, best first
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Serif CJK SC",
             "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
             "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC")
CJK_HINT = ("no CJK font is installed, so Chinese text shows as empty boxes; install one "
            "(Debian and Ubuntu: apt install fonts-noto-cjk)")


def tr(text: str, lang: str) -> str:
    """text in `lang`: a known phrase, or a phrase with a known ' (detected)' suffix."""
    if lang == "en":
        return text
    if text in ZH:
        return ZH[text]
    if text.endswith(" (detected)") and text[:-11] in ZH:
        return ZH[text[:-11]] + ZH["(detected)"]
    return text


def has_cjk(*texts: str | None) -> bool:
    return any(text and CJK.search(text) for text in texts)


_FOUND: list[str | None] = []


def cjk_font() -> str | None:
    """The name of an installed CJK font, or None; looked up once per process."""
    if not _FOUND:
        from matplotlib import font_manager

        found = _best(font_manager.fontManager)
        if found is None:  # installed after matplotlib cached its font list: add the files
            for path in font_manager.findSystemFonts():
                if CJK_FILES.search(path):
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        continue
            found = _best(font_manager.fontManager)
        _FOUND.append(found)
    return _FOUND[0]


CJK_FILES = re.compile(r"cjk|wqy|wenquanyi|droidsansfallback|uming|simhei|msyh|pingfang|sourcehan",
                       re.IGNORECASE)


def _best(manager) -> str | None:
    installed = {font.name for font in manager.ttflist}
    return next((name for name in CJK_FONTS if name in installed),
                next((name for name in sorted(installed) if "CJK" in name), None))
