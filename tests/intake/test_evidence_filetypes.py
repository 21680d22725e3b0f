"""What an upload really is, from its bytes: the types a hotline accepts, what it refuses, and a
ceiling on the work any file can cost, however it lies about its own structure."""

import io
import struct
import zipfile

import pytest

from intake import filetypes
from intake.filetypes import Refused, download_name, sniff
from tests.intake.hostile_files import (
    genuine_xls,
    looping_directory_ole,
    looping_fat_ole,
    lying_zip,
    many_entries_zip,
    nested_zip,
    office_zip,
    ole_file,
    zip_bomb,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
MiB = 1024 * 1024

__all__ = ["JPEG", "PDF", "PNG", "office_zip"]  # tests/intake/test_evidence.py uses them


@pytest.mark.parametrize(("data", "expected"), [
    (JPEG, "image/jpeg"),
    (PNG, "image/png"),
    (b"GIF89a" + b"\x00" * 20, "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
    (b"\x00\x00\x00\x18ftypheix\x00\x00\x00\x00mif1heix", "image/heic"),
    (PDF, "application/pdf"),
    (office_zip("word/document.xml"), filetypes.DOCX.content_type),
    (office_zip("xl/workbook.xml"), filetypes.XLSX.content_type),
    (office_zip("ppt/presentation.xml"), filetypes.PPTX.content_type),
    (ole_file("WordDocument"), "application/msword"),
    (ole_file("Workbook"), "application/vnd.ms-excel"),
    (ole_file("Workbook", sector_shift=12), "application/vnd.ms-excel"),
    (ole_file("1Table", "WordDocument", fat_sectors=110), "application/msword"),
    (genuine_xls(), "application/vnd.ms-excel"),
    (genuine_xls(rows=20_000), "application/vnd.ms-excel"),
    ("商家拒绝退货，聊天记录如下。\n2024-05-01 客服：不退。\n".encode(), "text/plain; charset=utf-8"),
    ("发票号码 12345\r\n".encode("gb18030"), "text/plain; charset=gb18030"),
    (b"BMW 4S shop refused the refund.\n", "text/plain; charset=utf-8"),
], ids=["jpeg", "png", "gif", "webp", "heic", "heic-10-bit", "pdf", "docx", "xlsx", "pptx", "doc", "xls", "xls-4k", "doc-large",
        "xls-by-xlwt", "xls-by-xlwt-1mb", "utf8", "gbk", "text-with-a-bitmap-signature"])
def test_accepted_types_are_known_by_their_bytes(data, expected):
    assert sniff(data).content_type == expected


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100 + b"This program cannot be run in DOS mode", "program"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "program"),
    (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 50, "program"),
    (b"<!DOCTYPE html><html><body><script>alert(1)</script>", "markup"),
    (b"\n  <html><img src=x onerror=alert(1)>", "markup"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "markup"),
    (b"hello <a href='javascript:alert(1)'>x</a>", "markup"),
    (b"\x00\x01\x02\x03binary", "unknown_type"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\x00" * 20, "archive"),
    (b"Rar!\x1a\x07\x00" + b"\x00" * 20, "archive"),
    (office_zip("word/document.xml", extra=["word/vbaProject.bin"]), "macros"),
    (office_zip("word/document.xml", content_types='<Types><Override PartName="/word/document.xml" ContentType='
                '"application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'), "macros"),
    (office_zip("content.xml"), "office_kind"),
    (b"PK\x03\x04" + b"\x00" * 40, "damaged"),
    (ole_file("SummaryInformation"), "office_kind"),
    (ole_file("WordDocument", storages=["Macros"]), "macros"),
    (ole_file("Workbook", storages=["_VBA_PROJECT_CUR"]), "macros"),
    (filetypes.OLE_MAGIC + b"\x00" * 30, "damaged"),
], ids=["empty", "exe", "elf", "mach-o", "html", "html-indented", "svg", "js-link", "binary", "gzip", "rar",
        "macros", "macro-content-type", "odt-like", "bad-zip", "msi-like", "doc-macros", "xls-macros", "bad-ole"])
def test_everything_else_is_refused_with_a_reason(data, code):
    with pytest.raises(Refused) as refused:
        sniff(data)
    assert refused.value.code == code


def test_a_plain_zip_archive_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("setup.exe", b"MZ")
    with pytest.raises(Refused) as refused:
        sniff(buf.getvalue())
    assert refused.value.code == "archive"


# ---- hostile files: refused, and the work each costs has a ceiling ------------------------------

@pytest.fixture
def reads(monkeypatch):
    """Every Budget a sniff hands a parser, to see how much of the file the parser was allowed."""
    made = []

    class Spy(filetypes.Budget):
        def __init__(self, data, reads, size):
            super().__init__(data, reads, size)
            self.allowed, self.reads_made, self.bytes_read = reads, 0, 0
            made.append(self)

        def allow(self, reads, size):
            super().allow(reads, size)
            self.allowed += reads

        def read(self, size=-1):
            self.reads_made += 1
            chunk = super().read(size)
            self.bytes_read += len(chunk)
            return chunk

    monkeypatch.setattr(filetypes, "Budget", Spy)
    return made


def _refusal(data):
    with pytest.raises(Refused) as refused:
        sniff(data)
    return refused.value.code


@pytest.mark.timeout(60)
def test_the_reported_self_looping_doc_is_refused_after_the_same_work_at_any_size(reads):
    """The issue's file: FAT and DIFAT chains that point at themselves (64 KB took 11 s before)."""
    used = []
    for size in (64 * 1024, 1 * MiB, 10 * MiB):
        assert _refusal(looping_fat_ole(size)) == "too_complex"
        (budget,) = reads[-1:]
        used.append((budget.reads_made, budget.bytes_read))
    # The parser stopped at the same ceiling each time: one read past the allowance, never more.
    assert used[0] == used[1] == used[2]
    assert used[0][0] == filetypes.OLE_MAX_READS + 1


@pytest.mark.timeout(60)
def test_a_directory_chain_that_points_at_itself_costs_no_more_than_the_ceiling(reads):
    small = looping_directory_ole(64 * 1024)
    assert sniff(small) == filetypes.DOC  # 127 sectors: the same 4 entries read over and over, harmless
    assert reads[-1].reads_made < filetypes.OLE_MAX_READS
    assert _refusal(looping_directory_ole(6 * MiB)) == "too_complex"
    assert reads[-1].reads_made == filetypes.OLE_MAX_READS + 1


@pytest.mark.timeout(60)
def test_a_zip_bomb_is_refused_by_its_ratio_before_anything_is_inflated(reads):
    bomb = zip_bomb(64 * MiB)
    assert len(bomb) < MiB
    assert _refusal(bomb) == "too_complex"
    assert reads[-1].bytes_read < filetypes.ZIP_MAX_META_BYTES  # the directory only


@pytest.mark.timeout(60)
def test_a_part_that_lies_about_its_size_inflates_no_further_than_its_claim(reads):
    assert _refusal(lying_zip(unpacked=32 * MiB, claimed=1000)) == "damaged"  # the CRC no longer matches
    assert reads[-1].bytes_read < 2 * filetypes.ZIP_MAX_READ


def test_content_types_over_the_reading_limit_are_refused():
    big = office_zip("word/document.xml", content_types="<Types>" + " " * filetypes.ZIP_MAX_READ + "</Types>")
    assert _refusal(big) == "too_complex"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("entries", [filetypes.ZIP_MAX_ENTRIES + 1, 60_000], ids=["just-over", "60k"])
def test_a_zip_of_very_many_parts_is_refused(reads, entries):
    assert _refusal(many_entries_zip(entries)) == "too_complex"
    assert reads[-1].bytes_read <= filetypes.ZIP_MAX_META_BYTES + 1


def test_a_deeply_nested_zip_is_refused_without_opening_a_layer(reads):
    assert _refusal(nested_zip(60)) == "archive"
    assert len(reads) == 1 and reads[0].bytes_read < 64 * 1024


def test_an_archive_embedded_in_a_document_is_never_opened(reads):
    # Word embeds packages (word/embeddings/); nothing here descends into them, however deep.
    assert sniff(nested_zip(60, inside_docx=True)) == filetypes.DOCX
    assert len(reads) == 1


def test_text_flooded_with_angle_brackets_is_refused_before_the_markup_search():
    assert _refusal(b"a<" * (filetypes.MAX_ANGLES + 1)) == "too_complex"
    assert sniff(b"1 < 2 and 3 > 2\n" * 1000) == filetypes.TEXT  # a few are fine


def test_a_budget_refuses_past_its_allowance():
    budget = filetypes.Budget(b"x" * 100, reads=2, size=10)
    assert budget.read(4) == b"xxxx"
    with pytest.raises(filetypes._OverBudget):
        budget.read()  # the rest is 96 bytes: more than the 6 left


def test_an_ole_file_whose_directory_loops_is_refused_not_hung():
    data = bytearray(ole_file("Nothing"))
    struct.pack_into("<I", data, 512 + 4, 1)  # the directory (sector 1) points back at itself in the FAT
    with pytest.raises(Refused):
        sniff(bytes(data))


@pytest.mark.parametrize(("name", "filetype", "expected"), [
    ("发票.jpg", filetypes.JPEG, "发票.jpg"),
    ("receipt.JPEG", filetypes.JPEG, "receipt.JPEG"),
    ("photo.jpg", filetypes.PNG, "photo.jpg.png"),
    ("page.html", filetypes.TEXT, "page.html.txt"),
    ("C:\\Users\\li\\合同.pdf", filetypes.PDF, "合同.pdf"),
    ("../../etc/passwd", filetypes.TEXT, "passwd.txt"),
    ('a"b\r\n.pdf', filetypes.PDF, "ab.pdf"),
    ("发票\u202eexe.png", filetypes.PNG, "发票exe.png"),  # no right-to-left override left to draw it backwards
    ("", filetypes.PDF, "evidence.pdf"),
])
def test_the_stored_name_is_safe_and_matches_the_type(name, filetype, expected):
    assert download_name(name, filetype) == expected
