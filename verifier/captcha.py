"""Captcha images and solvers.

The platform's captcha keeps a person in the loop: the product's default solver shows the image to
the person at the terminal. Automated solving is not shipped; `FixedSolver` exists for the test double,
whose captcha answer is known. A bureau with an official channel plugs in its own `CaptchaSolver`.
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from PIL import Image, ImageDraw, ImageFont

from verifier.types import Family


@dataclass(frozen=True)
class CaptchaContext:
    """What a solver may show next to the image (the ID number arrives masked)."""

    attempt: int
    family: Family
    name: str
    masked_id: str


class CaptchaSolver(Protocol):
    def solve(self, image_png: bytes, *, context: CaptchaContext) -> str | None:
        """The answer to the captcha, or None when none can be had (→ CAPTCHA_REQUIRED)."""
        ...


def render_code_png(code: str, *, width: int = 120, height: int = 44, seed: int | None = None) -> bytes:
    """A PNG showing `code` in dark digits over light noise, like the platform's captcha."""
    rng = random.Random(seed if seed is not None else code)
    image = Image.new("RGB", (width, height), (238, 241, 246))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        points = [(rng.randrange(width), rng.randrange(height)) for _ in range(2)]
        draw.line(points, fill=(rng.randrange(120, 200),) * 3, width=1)
    font = ImageFont.load_default(size=int(height * 0.7))
    step = width / (len(code) + 1)
    for i, char in enumerate(code):
        x = step * (i + 0.6) + rng.uniform(-2, 2)
        y = height * 0.12 + rng.uniform(-2, 2)
        colour = (rng.randrange(20, 90), rng.randrange(20, 90), rng.randrange(60, 140))
        draw.text((x, y), char, fill=colour, font=font)
    for _ in range(40):
        draw.point((rng.randrange(width), rng.randrange(height)), fill=(150, 150, 150))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class FixedSolver:
    """Always answers `code` (the test double's known answer)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def solve(self, image_png: bytes, *, context: CaptchaContext) -> str | None:
        return self.code


class NoSolver:
    """No way to answer: every query becomes CAPTCHA_REQUIRED."""

    def solve(self, image_png: bytes, *, context: CaptchaContext) -> str | None:
        return None


class ManualSolver:
    """A person at the terminal: the image is saved to a file, the answer read from stdin.

    Returns None without a terminal (so a non-interactive run gives CAPTCHA_REQUIRED) and when the
    person enters nothing or ends the input.
    """

    def __init__(
        self,
        *,
        image_path: Path | None = None,
        stdin: TextIO | None = None,
        stderr: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.image_path = image_path or Path(tempfile.gettempdir()) / "anpei-captcha.png"
        self.stdin = stdin or sys.stdin
        self.stderr = stderr or sys.stderr
        self.interactive = interactive

    def _has_terminal(self) -> bool:
        if self.interactive is not None:
            return self.interactive
        isatty = getattr(self.stdin, "isatty", None)
        return bool(isatty and isatty())

    def solve(self, image_png: bytes, *, context: CaptchaContext) -> str | None:
        if not self._has_terminal():
            return None
        self.image_path.parent.mkdir(parents=True, exist_ok=True)
        self.image_path.write_bytes(image_png)
        self.stderr.write(
            f"{context.name}（{context.masked_id}，{context.family.label}）第 {context.attempt} 次尝试\n"
            f"验证码图片已保存到 {self.image_path}，请打开查看后输入验证码（直接回车跳过）：",
        )
        self.stderr.flush()
        line = self.stdin.readline()
        answer = line.strip()
        return answer or None


def solver_from_spec(spec: str) -> CaptchaSolver:
    """`manual` (a person at the terminal), `fixed:CODE` (a known answer) or `none`."""
    text = spec.strip()
    if text == "manual":
        return ManualSolver()
    if text == "none":
        return NoSolver()
    if text.startswith("fixed:") and text[len("fixed:") :].strip():
        return FixedSolver(text[len("fixed:") :].strip())
    raise ValueError(
        f"无法识别的验证码方式 {spec!r}：可用 manual（人工输入）、fixed:验证码（固定答案）或 none"
    )
