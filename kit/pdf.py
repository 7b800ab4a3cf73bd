"""PDF documents with Cyrillic: fpdf2 with the DejaVu Sans font shipped in kit/fonts/."""

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"


def new_document() -> FPDF:
    """An A4 portrait document with DejaVu Sans (regular and bold) registered as "dejavu" and selected."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("dejavu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_font("dejavu", size=11)
    return pdf


def render(pdf: FPDF) -> bytes:
    """The finished document's bytes."""
    return bytes(pdf.output())
