import io

from pypdf import PdfReader

from kit.pdf import new_document, render


def test_a_document_renders_cyrillic_text_that_reads_back():
    pdf = new_document()
    pdf.add_page()
    pdf.cell(text="Экземпляр заявителя — Иванов Иван")
    pdf.add_page()
    pdf.set_font("dejavu", "B", 12)
    pdf.cell(text="Экземпляр компании")
    reader = PdfReader(io.BytesIO(render(pdf)))
    assert len(reader.pages) == 2
    assert "Экземпляр заявителя — Иванов Иван" in reader.pages[0].extract_text()
    assert "Экземпляр компании" in reader.pages[1].extract_text()
