"""What an upload really is, from its bytes: the types a hotline accepts, and what it refuses."""

import io
import struct
import zipfile

import pytest

from intake import filetypes
from intake.filetypes import Refused, download_name, sniff

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def office_zip(main_part, extra=()):
    """A minimal OOXML container: [Content_Types].xml and the kind's main part."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr(main_part, "<document/>")
        for name in extra:
            z.writestr(name, b"\x00")
    return buf.getvalue()


def ole_file(stream_name, sector_shift=9, fat_listed_in_chain=False):
    """A minimal OLE2 compound file whose directory names the root and one stream. Sector 0 is the
    FAT, sector 1 the directory; with `fat_listed_in_chain` the header lists no FAT sector and a DIFAT
    sector (2) does, as in files over ~7 MB."""
    size = 1 << sector_shift
    header = bytearray(size)
    header[:8] = filetypes.OLE_MAGIC
    struct.pack_into("<H", header, 0x1E, sector_shift)
    struct.pack_into("<I", header, 0x2C, 1)  # one FAT sector
    struct.pack_into("<I", header, 0x30, 1)  # the directory starts in sector 1
    struct.pack_into("<109I", header, 0x4C, *([0xFFFFFFFF] if fat_listed_in_chain else [0]), *[0xFFFFFFFF] * 108)
    fat = bytearray(b"\xff" * size)
    struct.pack_into("<III", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFC)  # FAT, end of directory, DIFAT
    directory = bytearray(size)
    for slot, name in enumerate(("Root Entry", stream_name)):
        encoded = (name + "\x00").encode("utf-16-le")
        directory[slot * 128: slot * 128 + len(encoded)] = encoded
        struct.pack_into("<H", directory, slot * 128 + 64, len(encoded))
    if not fat_listed_in_chain:
        struct.pack_into("<I", header, 0x44, 0xFFFFFFFE)
        return bytes(header + fat + directory)
    struct.pack_into("<II", header, 0x44, 2, 1)  # the DIFAT chain starts in sector 2, one sector long
    difat = bytearray(b"\xff" * size)
    struct.pack_into("<I", difat, 0, 0)
    struct.pack_into("<I", difat, size - 4, 0xFFFFFFFE)
    return bytes(header + fat + directory + difat)


@pytest.mark.parametrize(("data", "expected"), [
    (JPEG, "image/jpeg"),
    (PNG, "image/png"),
    (b"GIF89a" + b"\x00" * 20, "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
    (PDF, "application/pdf"),
    (office_zip("word/document.xml"), filetypes.DOCX.content_type),
    (office_zip("xl/workbook.xml"), filetypes.XLSX.content_type),
    (office_zip("ppt/presentation.xml"), filetypes.PPTX.content_type),
    (ole_file("WordDocument"), "application/msword"),
    (ole_file("Workbook"), "application/vnd.ms-excel"),
    (ole_file("Workbook", sector_shift=12), "application/vnd.ms-excel"),
    (ole_file("WordDocument", fat_listed_in_chain=True), "application/msword"),
    ("商家拒绝退货，聊天记录如下。\n2024-05-01 客服：不退。\n".encode(), "text/plain; charset=utf-8"),
    ("发票号码 12345\r\n".encode("gb18030"), "text/plain; charset=gb18030"),
], ids=["jpeg", "png", "gif", "webp", "heic", "pdf", "docx", "xlsx", "pptx", "doc", "xls", "xls-4k", "doc-large", "utf8", "gbk"])
def test_accepted_types_are_known_by_their_bytes(data, expected):
    assert sniff(data).content_type == expected


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100 + b"This program cannot be run in DOS mode", "program"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "program"),
    (b"<!DOCTYPE html><html><body><script>alert(1)</script>", "markup"),
    (b"\n  <html><img src=x onerror=alert(1)>", "markup"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "markup"),
    (b"hello <a href='javascript:alert(1)'>x</a>", "markup"),
    (b"\x00\x01\x02\x03binary", "unknown_type"),
    (office_zip("word/document.xml", extra=["word/vbaProject.bin"]), "macros"),
    (office_zip("content.xml"), "office_kind"),
    (b"PK\x03\x04" + b"\x00" * 40, "damaged"),
    (ole_file("SummaryInformation"), "office_kind"),
    (filetypes.OLE_MAGIC + b"\x00" * 30, "damaged"),
], ids=["empty", "exe", "elf", "html", "html-indented", "svg", "js-link", "binary", "macros", "odt-like", "bad-zip",
        "msi-like", "bad-ole"])
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


def test_an_ole_file_whose_directory_loops_is_refused_not_hung():
    data = bytearray(ole_file("Nothing"))
    struct.pack_into("<I", data, 512 + 4, 1)  # sector 1 points back at itself
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
    ("", filetypes.PDF, "evidence.pdf"),
])
def test_the_stored_name_is_safe_and_matches_the_type(name, filetype, expected):
    assert download_name(name, filetype) == expected
