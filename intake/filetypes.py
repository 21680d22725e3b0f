"""What an uploaded file really is, judged by its bytes, never by its name or the browser's word. Pure.

Only the evidence types a hotline needs are accepted: photos, PDF, office documents and plain
text. Anything else (programs, archives, HTML, SVG, macro-enabled documents) is refused with a
reason an operator can read.

Kept parsers do the reading: `filetype` names a file by its signature, `olefile` reads Word and
Excel 97-2003 files, `zipfile` the Office Open XML ones. A hostile file lies about its own
structure (a sector chain that points at itself, a million zip entries, a small part that
inflates to gigabytes), so the parsers read it through a Budget: a file object that hands out a
fixed number of reads and bytes and then refuses. The work spent on one upload therefore has a
ceiling that does not grow with the file, and a hostile file is refused in milliseconds
(`too_complex`). No archive inside a file is ever opened: nesting is never followed.
"""

import io
import re
import zipfile
from dataclasses import dataclass

import filetype
import olefile


class Refused(ValueError):
    """A file not accepted as evidence; args[0] is the reason's code (one of REASONS)."""

    @property
    def code(self):
        return self.args[0]


REASONS = ("empty", "program", "damaged", "archive", "macros", "office_kind", "markup", "unknown_type",
           "too_complex")


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
# What filetype's signature match decides on its own (its MIME type -> ours).
BY_SIGNATURE = {"image/jpeg": JPEG, "image/png": PNG, "image/gif": GIF, "image/webp": WEBP, "image/heic": HEIC,
                "application/pdf": PDF}
PROGRAMS = {"application/x-msdownload", "application/x-executable", "application/wasm",
            "application/x-shockwave-flash"}
ARCHIVES = {kind.mime for kind in filetype.archive_matchers} - PROGRAMS - set(BY_SIGNATURE)
MACH_O = (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")  # programs filetype does not know
# HEIF photos whose main brand filetype does not list (10-bit, sequences): accepted as before.
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# The main part of each OOXML kind; a zip without [Content_Types].xml is no office document.
OOXML_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))
OOXML_TYPES = "[Content_Types].xml"
OLE_STREAMS = (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS))
OLE_MACROS = {"macros", "_vba_project_cur", "_vba_project", "vba"}  # storages of Word / Excel VBA projects
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Markup a browser would render or run, looked for anywhere in a text file (lower-cased first:
# a case-blind pattern cannot skip ahead to its "<" and took 2 s over 10 MB of text).
MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|iframe|svg|object|embed|meta|\?xml)\b")
MAX_ANGLES = 10_000  # each "<" costs the markup search a try; no chat log or note has this many
# Control characters. Bytes under 0x80 are always ASCII in UTF-8 and GB18030 (whose trailing bytes
# are 0x30-0x39 and 0x40-0xFE), so a control byte is a control character in either encoding.
CONTROL = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])

# The ceilings. Each is far above what a genuine document needs, and none depends on the file's size.
SIGNATURE_BYTES = 8192  # what filetype looks at (its own limit too)
# olefile reads the header, the FAT and the directory, a sector at a time: a 10 MB .doc with
# 512-byte sectors needs about 170 reads, one with 4 KB sectors a handful.
OLE_MAX_READS = 512
OLE_MAX_BYTES = 512 * 1024
# zipfile reads the end record and the whole central directory before anything else: 384 KB is
# about 3,000 parts with long names, or 8,000 crafted one-letter ones (parsed in ~0.1 s).
ZIP_MAX_META_BYTES = 384 * 1024
ZIP_MAX_ENTRIES = 3000  # a 300-slide presentation has about 1,500 parts
ZIP_MAX_UNPACKED = 256 * 1024 * 1024  # the parts' declared sizes, added up
ZIP_MAX_RATIO = 200  # unpacked : packed for a part over ZIP_RATIO_FROM; deflate bombs reach about 1,000
ZIP_RATIO_FROM = 1024 * 1024
ZIP_MAX_READ = 1024 * 1024  # the only part inflated here is [Content_Types].xml (a few KB in real files)


class _OverBudget(Exception):  # noqa: N818 (a signal between the Budget and its reader, never shown)
    """The parser asked for more of the file than any genuine document needs."""


class Budget(io.BytesIO):
    """The upload as a read-only file that hands out at most `reads` reads and `size` bytes."""

    def __init__(self, data, reads, size):
        super().__init__(data)
        self.reads_left, self.bytes_left = reads, size

    def allow(self, reads, size):
        """Raise the allowance (for a step whose own bound is checked by the caller)."""
        self.reads_left += reads
        self.bytes_left += size

    def read(self, size=-1):
        self.reads_left -= 1
        if size is None or size < 0 or size > self.bytes_left:
            size = self.bytes_left + 1  # never copies more than one byte past the allowance
        chunk = super().read(size)
        self.bytes_left -= len(chunk)
        if self.reads_left < 0 or self.bytes_left < 0:
            raise _OverBudget
        return chunk


def sniff(data):
    """The FileType of `data`, or Refused saying why it is not accepted."""
    if not data:
        raise Refused("empty")
    if data[:8] == OLE_MAGIC:
        return _ole(data)
    if data[:4] == ZIP_MAGIC:
        return _zip(data)
    kind = filetype.guess(data[:SIGNATURE_BYTES])
    mime = kind.mime if kind else None
    if mime in BY_SIGNATURE:
        return BY_SIGNATURE[mime]
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return HEIC
    # Readable text wins over a weak signature ("BM..." is a bitmap's, "%!" PostScript's).
    text = _text(data)
    if text:
        return text
    if mime in PROGRAMS or data[:4] in MACH_O:
        raise Refused("program")
    raise Refused("archive" if mime in ARCHIVES else "unknown_type")


def download_name(filename, filetype):
    """A safe file name that ends in an extension of the sniffed type (so it opens in the right program)."""
    # Direction controls too: with U+202E a name ending in "exe" can be drawn as one ending in "png".
    name = re.sub(r"[\x00-\x1f\x7f\"\u200e\u200f\u202a-\u202e\u2066-\u2069]", "",
                  filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    name = name[:200] or "evidence"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return name if ext in filetype.extensions else f"{name}.{filetype.extensions[0]}"


def _ole(data):
    """Word or Excel 97-2003, by the streams olefile finds in the file's directory."""
    try:
        with olefile.OleFileIO(Budget(data, OLE_MAX_READS, OLE_MAX_BYTES)) as ole:
            paths = ole.listdir(streams=True, storages=True)
    except _OverBudget as exc:
        raise Refused("too_complex") from exc
    except Exception as exc:  # noqa: BLE001 (whatever a malformed file makes the parser raise)
        raise Refused("damaged") from exc
    if any(path[0].lower() in OLE_MACROS for path in paths):
        raise Refused("macros")
    top = {path[0] for path in paths if len(path) == 1}
    for stream, filetype_ in OLE_STREAMS:
        if stream in top:
            return filetype_
    raise Refused("office_kind")


def _zip(data):
    """An Office Open XML document (zipfile), its size claims checked before anything is inflated."""
    budget = Budget(data, reads=16, size=ZIP_MAX_META_BYTES)
    try:
        archive = zipfile.ZipFile(budget)
        entries = archive.infolist()
        _check_zip_sizes(entries)
        names = {entry.filename for entry in entries}
        if OOXML_TYPES not in names:
            raise Refused("archive")
        content_types = _read_part(archive, budget, OOXML_TYPES).lower()
    except _OverBudget as exc:
        raise Refused("too_complex") from exc
    except Refused:
        raise
    except Exception as exc:  # noqa: BLE001 (whatever a malformed file makes the parser raise)
        raise Refused("damaged") from exc
    if b"macroenabled" in content_types or any(name.lower().endswith("vbaproject.bin") for name in names):
        raise Refused("macros")
    for part, filetype_ in OOXML_PARTS:
        if part in names:
            return filetype_
    raise Refused("office_kind")


def _check_zip_sizes(entries):
    """Refuse a zip bomb by what it declares: too many parts, too much unpacked, or a part packed too well.
    (A part that lies about its size cannot inflate past it: zipfile stops there and the CRC fails.)"""
    if len(entries) > ZIP_MAX_ENTRIES:
        raise Refused("too_complex")
    if sum(entry.file_size for entry in entries) > ZIP_MAX_UNPACKED:
        raise Refused("too_complex")
    for entry in entries:
        if entry.file_size > ZIP_RATIO_FROM and entry.file_size > ZIP_MAX_RATIO * max(entry.compress_size, 1):
            raise Refused("too_complex")


def _read_part(archive, budget, name):
    """At most ZIP_MAX_READ inflated bytes of one part; more is refused."""
    budget.allow(reads=ZIP_MAX_READ // 4096 + 64, size=2 * ZIP_MAX_READ)
    with archive.open(name) as part:
        content = part.read(ZIP_MAX_READ + 1)
    if len(content) > ZIP_MAX_READ:
        raise Refused("too_complex")
    return content


def _text(data):
    """TEXT or TEXT_GB for readable text (markup refused), None for anything else."""
    if len(data.translate(None, CONTROL)) != len(data):  # bytes.translate: C speed, unlike a regex
        return None
    for encoding, filetype_ in (("utf-8-sig", TEXT), ("gb18030", TEXT_GB)):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        lowered = data.lower()
        if lowered.count(b"<") > MAX_ANGLES:
            raise Refused("too_complex")
        if b"javascript:" in lowered or MARKUP.search(lowered):
            raise Refused("markup")
        return filetype_
    return None
