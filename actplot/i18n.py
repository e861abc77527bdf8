"""The words on figures, in English or Chinese (--lang zh), and the fonts that Chinese needs.

Chinese text is drawn through matplotlib's font fallback: DejaVu Sans for Latin and digits, then
an installed CJK font for the rest. Where none is installed, one warning line names the Debian
package that has one, and the figure is still written.
"""

from __future__ import annotations

import re

ZH = {
    "forward": "函数",  # as Chinese tutorials head the function's panel
    "function": "函数",
    "first derivative": "一阶导数",
    "second derivative": "二阶导数",
    "third derivative": "三阶导数",
    "by autograd": "（自动求导）",
    "Jacobian diagonal": "雅可比矩阵对角线",
    "Jacobian": "雅可比矩阵",
    "composed K times": "复合 K 次",
    "f(x) and its derivatives": "f(x) 及其导数",
    "f(x) and f\u2032(x)": "f(x) 及 f\u2032(x)",
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
    "target": "目标",
    "network": "网络",
    "output bias": "输出偏置",
    "hidden units": "个隐藏单元",
    "units": "隐藏单元",
    "training loss": "训练损失",
    "runs with a dead unit": "出现死亡单元的运行",
    "other seeds": "其他种子",
    "step": "步数",
    "loss (MSE)": "损失 (MSE)",
    # actplot info's table
    "property": "性质",
    "domain": "定义域",
    "range": "值域",
    "monotonic": "单调",
    "f' monotonic": "f' 单调",
    "continuity": "连续性",
    "identity near 0": "原点附近近似恒等",
    "f' -> 0 (left, right)": "f' → 0（左，右）",
    "f' = 0 on": "f' = 0 的区间",
    "init gain": "初始化增益",
    "torch's gain": "torch 的增益",
    "yes": "是",
    "no": "否",
    "nowhere": "无",
    "- (f is not defined on the whole line)": "-（f 并非在整条实轴上有定义）",
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
