"""How far apart the wall's state colours stay for colour-blind eyes, in both palettes.

    .venv/bin/python tools/colour_vision.py

Reads the day palette (assets/wall.css, `:root`) and the night palette (assets/burn_in.css),
simulates deuteranopia, protanopia and tritanopia (Machado et al. 2009 at severity 100, as
colorspacious implements it), and prints for each palette and vision: the smallest
perceptual distance (ΔE in CAM02-UCS) between any two of alarm, notice, explained and
normal, which pair it is, and the smallest contrast ratio (WCAG) of a state colour against
the panel background. tests/test_colour_vision.py holds these above a floor.
"""

import itertools
import re
from pathlib import Path

from colorspacious import cspace_convert

ASSETS = Path(__file__).resolve().parents[1] / "assets"
STATES = {"alarm": "--alert", "notice": "--accent", "explained": "--explained", "normal": "--text"}
VISIONS = {"normal vision": None, "deuteranopia": "deuteranomaly",
           "protanopia": "protanomaly", "tritanopia": "tritanomaly"}  # fmt: skip


def palette(css: str, selector: str) -> dict[str, str]:
    """`--name: #rrggbb` custom properties of the first block whose selector starts so."""
    block = css.split(selector, 1)[1].split("{", 1)[1].split("}", 1)[0]
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})", block))


def palettes() -> dict[str, dict[str, str]]:
    """The day and night palettes as the CSS declares them."""
    day = palette((ASSETS / "wall.css").read_text(), ":root")
    night_css = (ASSETS / "burn_in.css").read_text()
    night = {**day, **palette(night_css, ".wall:has(> .night-mark.night)")}
    return {"day": day, "night": night}


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def seen(hex_colour: str, vision: str | None):
    """The colour as sRGB (0..1) after the simulated deficiency."""
    rgb = _rgb(hex_colour)
    if vision is None:
        return rgb
    cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return tuple(min(1.0, max(0.0, c)) for c in cspace_convert(rgb, cvd, "sRGB1"))


def delta_e(one, other) -> float:
    """Perceptual distance of two sRGB (0..1) colours in CAM02-UCS."""
    a, b = cspace_convert(one, "sRGB1", "CAM02-UCS"), cspace_convert(other, "sRGB1", "CAM02-UCS")
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


def contrast(one, other) -> float:
    """WCAG 2 contrast ratio of two sRGB (0..1) colours."""
    def luminance(rgb):
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def report() -> list[dict]:
    """One row per palette and vision: the closest pair of states, and the weakest contrast."""
    rows = []
    for name, colours in palettes().items():
        for vision, cvd in VISIONS.items():
            shown = {state: seen(colours[var], cvd) for state, var in STATES.items()}
            background = seen(colours["--panel-bg"], cvd)
            pairs = [(delta_e(shown[a], shown[b]), f"{a}/{b}")
                     for a, b in itertools.combinations(shown, 2)]  # fmt: skip
            closest, pair = min(pairs)
            weakest = min((contrast(c, background), s) for s, c in shown.items())
            rows.append({"palette": name, "vision": vision, "min_delta_e": round(closest, 1),
                         "closest": pair, "min_contrast": round(weakest[0], 2),
                         "weakest": weakest[1]})  # fmt: skip
    return rows


def main() -> None:
    print("| palette | vision | min ΔE (CAM02-UCS) | closest pair | min contrast vs panel | of |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in report():
        print(f"| {row['palette']} | {row['vision']} | {row['min_delta_e']} | {row['closest']} "
              f"| {row['min_contrast']}:1 | {row['weakest']} |")


if __name__ == "__main__":
    main()
