"""Captcha images and solvers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from verifier.captcha import (
    CaptchaContext,
    FixedSolver,
    ManualSolver,
    NoSolver,
    render_code_png,
    solver_from_spec,
)
from verifier.types import Family

CONTEXT = CaptchaContext(attempt=1, family=Family.SPECIAL, name="刘洋", masked_id="500230********3136")


@pytest.mark.parametrize("code", ["8888", "0427", "1234"])
def test_render_code_png_is_a_png_image(code: str) -> None:
    png = render_code_png(code)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (120, 44)
    # Dark glyph pixels exist (the digits are drawn), on a light background.
    grey = image.convert("L")
    low, high = grey.getextrema()
    assert low < 100 < high


def test_render_code_png_differs_per_code_and_is_stable() -> None:
    assert render_code_png("8888") == render_code_png("8888")
    assert render_code_png("8888") != render_code_png("8889")


def test_fixed_and_no_solver() -> None:
    assert FixedSolver("8888").solve(b"png", context=CONTEXT) == "8888"
    assert NoSolver().solve(b"png", context=CONTEXT) is None


def test_manual_solver_saves_image_and_reads_answer(tmp_path: Path) -> None:
    image_path = tmp_path / "captcha.png"
    prompt = io.StringIO()
    solver = ManualSolver(
        image_path=image_path, stdin=io.StringIO(" 4321 \n"), stderr=prompt, interactive=True
    )
    assert solver.solve(b"\x89PNG-bytes", context=CONTEXT) == "4321"
    assert image_path.read_bytes() == b"\x89PNG-bytes"
    text = prompt.getvalue()
    assert str(image_path) in text and "500230********3136" in text and "验证码" in text
    assert "500230198806143136" not in text


@pytest.mark.parametrize("typed", ["\n", ""])  # Enter alone, or end of input
def test_manual_solver_skips_on_empty_answer(tmp_path: Path, typed: str) -> None:
    solver = ManualSolver(
        image_path=tmp_path / "c.png", stdin=io.StringIO(typed), stderr=io.StringIO(), interactive=True
    )
    assert solver.solve(b"x", context=CONTEXT) is None


def test_manual_solver_without_terminal_returns_none(tmp_path: Path) -> None:
    image_path = tmp_path / "c.png"
    solver = ManualSolver(image_path=image_path, stdin=io.StringIO("1234\n"), stderr=io.StringIO())
    assert solver.solve(b"x", context=CONTEXT) is None  # StringIO is not a terminal
    assert not image_path.exists()


@pytest.mark.parametrize(
    "spec,kind,answer",
    [
        ("manual", ManualSolver, None),
        ("fixed:8888", FixedSolver, "8888"),
        (" fixed: 0427 ", FixedSolver, "0427"),
        ("none", NoSolver, None),
    ],
)
def test_solver_from_spec(spec: str, kind: type, answer: str | None) -> None:
    solver = solver_from_spec(spec)
    assert isinstance(solver, kind)
    if isinstance(solver, FixedSolver):
        assert solver.code == answer


@pytest.mark.parametrize("spec", ["", "fixed:", "auto", "ocr:tesseract"])
def test_solver_from_spec_rejects_unknown(spec: str) -> None:
    with pytest.raises(ValueError, match="验证码"):
        solver_from_spec(spec)
