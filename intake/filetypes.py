"""What an uploaded file really is, judged by its bytes, never by its name or the browser's word. Pure.

Only the evidence types a hotline needs are accepted: photos, PDF, office documents and plain
text. Anything else (programs, archives, HTML, SVG, macro-enabled documents) is refused with a
reason an operator can read.
"""

import io
import re
import struct
import zipfile
from dataclasses import dataclass


class Refused(ValueError):
    """A file not accepted as evidence; args[0] is the reason's code (one of REASONS)."""

    @property
    def code(self):
        return self.args[0]


REASONS = ("empty", "program", "damaged", "archive", "macros", "office_kind", "markup", "unknown_type")


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]  # the first is added to a name that does not end in any of them
    label: str  # short and the same in every language


JPEG = FileType("image/jpeg", ("jpg", "jpeg"), "JPEG")
PNG = FileType("image/png", ("png",), "PNG")
GIF = FileType("image/gif", ("gif",), "GIF")
WEBP = FileType("image/webp", ("webp",), "WebP")
HEIC = FileType("image/heic", ("heic", "heif"), "HEIC")
PDF = FileType("application/pdf", ("pdf",), "PDF")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",),
                "DOCX")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",),
                "XLSX")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",),
                "PPTX")
DOC = FileType("application/msword", ("doc",), "DOC")
XLS = FileType("application/vnd.ms-excel", ("xls",), "XLS")
TEXT = FileType("text/plain; charset=utf-8", ("txt", "text", "log", "csv"), "TXT")
TEXT_GB = FileType("text/plain; charset=gb18030", TEXT.extensions, "TXT")

ACCEPTED = (JPEG, PNG, GIF, WEBP, HEIC, PDF, DOCX, XLSX, PPTX, DOC, XLS, TEXT, TEXT_GB)
LABELS = {filetype.content_type: filetype.label for filetype in ACCEPTED}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# The main part of each OOXML kind; a zip without [Content_Types].xml is no office document.
OOXML_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))
OLE_STREAMS = (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS))
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Markup a browser would render or run, looked for anywhere in a text file.
MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|iframe|svg|object|embed|meta|\?xml)\b|javascript:",
                    re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
FREE = 0xFFFFFFFA  # OLE sector numbers from here on are markers, not sectors


def sniff(data):
    """The FileType of `data`, or Refused saying why it is not accepted."""
    if not data:
        raise Refused("empty")
    for check in (_image, _pdf, _zip, _ole):
        found = check(data)
        if found:
            return found
    if data[:2] == b"MZ" or data[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        raise Refused("program")
    return _text(data)


def download_name(filename, filetype):
    """A safe file name that ends in an extension of the sniffed type (so it opens in the right program)."""
    name = re.sub(r"[\x00-\x1f\x7f\"]", "", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    name = name[:200] or "evidence"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return name if ext in filetype.extensions else f"{name}.{filetype.extensions[0]}"


def _image(data):
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return HEIC
    return None


def _pdf(data):
    return PDF if data[:5] == b"%PDF-" else None


def _zip(data):
    if data[:4] != b"PK\x03\x04":
        return None
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise Refused("damaged") from exc
    if "[Content_Types].xml" not in names:
        raise Refused("archive")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise Refused("macros")
    for part, filetype in OOXML_PARTS:
        if part in names:
            return filetype
    raise Refused("office_kind")


def _ole(data):
    if data[:8] != OLE_MAGIC:
        return None
    names = _ole_names(data)
    for stream, filetype in OLE_STREAMS:
        if stream in names:
            return filetype
    raise Refused("office_kind")


def _ole_names(data):
    """The names in an OLE2 compound file's directory (Word and Excel 97-2003), bounded however the file lies."""
    try:
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            raise Refused("damaged")
        size = 1 << shift

        def sector(n):
            return data[(n + 1) * size:(n + 2) * size]

        fat = []
        for n in _fat_sectors(data, size, sector):
            chunk = sector(n)
            fat += struct.unpack(f"<{len(chunk) // 4}I", chunk[: len(chunk) // 4 * 4])
        names, n = set(), struct.unpack_from("<I", data, 0x30)[0]
        for _ in range(len(fat) + 1):  # a chain can be no longer than the FAT; a loop ends here
            if n >= FREE or n >= len(fat):
                break
            chunk = sector(n)
            for offset in range(0, len(chunk) - 127, 128):
                length = struct.unpack_from("<H", chunk, offset + 64)[0]
                names.add(chunk[offset:offset + min(length, 64)].decode("utf-16-le", "replace").rstrip("\x00"))
            n = fat[n]
        return names
    except struct.error as exc:
        raise Refused("damaged") from exc


def _fat_sectors(data, size, sector):
    """The FAT's sectors: 109 listed in the header, the rest in a chain of DIFAT sectors (files over ~7 MB)."""
    listed = list(struct.unpack_from("<109I", data, 0x4C))
    n, per_sector = struct.unpack_from("<I", data, 0x44)[0], size // 4 - 1
    for _ in range(len(data) // size):  # bounded: no chain is longer than the file has sectors
        if n >= FREE:
            break
        chunk = sector(n)
        if len(chunk) < size:
            break
        *entries, n = struct.unpack(f"<{per_sector + 1}I", chunk)
        listed += entries
    return [n for n in listed if n < FREE]


def _text(data):
    for encoding, filetype in (("utf-8-sig", TEXT), ("gb18030", TEXT_GB)):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if CONTROL.search(text):
            break
        if MARKUP.search(data):
            raise Refused("markup")
        return filetype
    raise Refused("unknown_type")
