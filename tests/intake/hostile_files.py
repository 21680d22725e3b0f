"""Office files built byte by byte: genuine ones of each shape a parser meets, and the hostile
ones an attacker uploads (sector chains that point at themselves, zip bombs, nesting, a zip of
tens of thousands of parts). Used by the upload tests and by `python -m bench.uploads`."""

import io
import struct
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FREESECT, ENDOFCHAIN, FATSECT, DIFSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC, 0xFFFFFFFF
ROOT, STORAGE, STREAM = 5, 1, 2
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
MiB = 1024 * 1024


# ---- OLE2 compound files (Word / Excel 97-2003) ----------------------------------------------

def _header(size, fat_sectors, dir_start, dir_sectors, difat_start, difat_sectors, listed):
    header = bytearray(size)
    header[:8] = OLE_MAGIC
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3 if size == 512 else 4, 0xFFFE, size.bit_length() - 1, 6)
    struct.pack_into("<III", header, 0x28, dir_sectors if size == 4096 else 0, fat_sectors, dir_start)
    struct.pack_into("<IIIIII", header, 0x34, 0, 4096, ENDOFCHAIN, 0, difat_start, difat_sectors)
    struct.pack_into("<109I", header, 0x4C, *(listed + [FREESECT] * 109)[:109])
    return header


def _entry(name, kind, child=NOSTREAM, right=NOSTREAM):
    entry = bytearray(128)
    encoded = (name + "\x00").encode("utf-16-le")
    entry[: len(encoded)] = encoded
    struct.pack_into("<HBBIII", entry, 64, len(encoded), kind, 1, NOSTREAM, right, child)
    struct.pack_into("<IQ", entry, 116, ENDOFCHAIN, 0)  # every stream here is empty
    return entry


def ole_file(*streams, storages=(), sector_shift=9, fat_sectors=1):
    """A well-formed compound file whose root holds these (empty) streams and storages. With
    `fat_sectors` over 109 the FAT is listed partly in DIFAT sectors, as in files over ~7 MB."""
    size = 1 << sector_shift
    per_difat = size // 4 - 1
    difat_sectors = max(0, -(-(fat_sectors - 109) // per_difat))
    entries = [(name, STREAM) for name in streams] + [(name, STORAGE) for name in storages]
    directory = _entry("Root Entry", ROOT, child=1 if entries else NOSTREAM)
    for i, (name, kind) in enumerate(entries, start=1):
        directory += _entry(name, kind, right=i + 1 if i < len(entries) else NOSTREAM)
    dir_sectors = max(1, -(-len(directory) // size))
    directory += bytes(dir_sectors * size - len(directory))
    dir_start = fat_sectors + difat_sectors
    fat = [FATSECT] * fat_sectors + [DIFSECT] * difat_sectors
    fat += [dir_start + i + 1 for i in range(dir_sectors - 1)] + [ENDOFCHAIN]
    fat += [FREESECT] * (fat_sectors * size // 4 - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    fat_numbers = list(range(fat_sectors))
    difat = bytearray()
    for n in range(difat_sectors):
        chunk = (fat_numbers[109 + n * per_difat: 109 + (n + 1) * per_difat] + [FREESECT] * per_difat)[:per_difat]
        following = fat_sectors + n + 1 if n + 1 < difat_sectors else ENDOFCHAIN
        difat += struct.pack(f"<{per_difat + 1}I", *chunk, following)
    header = _header(size, fat_sectors, dir_start, dir_sectors, fat_sectors if difat_sectors else ENDOFCHAIN,
                     difat_sectors, fat_numbers[:109])
    return bytes(header + fat_bytes + difat + directory)


def looping_fat_ole(total):
    """The reported attack: a `total`-byte .doc whose FAT and DIFAT chains point at themselves. The
    header claims as many FAT sectors as the file could list; each is sector 0, and the DIFAT
    sector (1) names sector 0 127 times and then itself as the next DIFAT sector."""
    size = 512
    n = total // size - 1
    listed_in_difat = n - 1
    header = _header(size, 109 + 127 * listed_in_difat, 0, 0, 1, listed_in_difat, [0] * 109)
    fat = bytes(size)  # sector 0: every entry 0, so every chain through it loops on sector 0
    difat = bytearray(size)
    struct.pack_into("<I", difat, size - 4, 1)
    return bytes(header + fat + difat) + bytes(size * (n - 2))


def looping_directory_ole(total):
    """A `total`-byte file whose directory chain points at itself, the FAT covering the whole file."""
    size = 512
    sectors = total // size - 1
    fat_sectors = -(-sectors // (size // 4))
    assert fat_sectors <= 109, "keep it under ~7 MB: no DIFAT"
    dir_start = fat_sectors
    fat = [FATSECT] * fat_sectors + [dir_start] + [FREESECT] * (fat_sectors * size // 4 - fat_sectors - 1)
    header = _header(size, fat_sectors, dir_start, 1, ENDOFCHAIN, 0, list(range(fat_sectors)))
    directory = _entry("Root Entry", ROOT, child=1) + _entry("WordDocument", STREAM) + bytes(256)
    body = header + struct.pack(f"<{len(fat)}I", *fat) + directory
    return bytes(body) + bytes(size * (sectors + 1) - len(body))


# ---- zip: Office Open XML and plain archives ----------------------------------------------------

def office_zip(main_part, extra=(), content_types=CONTENT_TYPES):
    """A minimal OOXML container: [Content_Types].xml and the kind's main part."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr(main_part, "<document/>")
        for name in extra:
            z.writestr(name, b"\x00")
    return buf.getvalue()


def zip_bomb(unpacked=64 * MiB):
    """A .docx whose 'image' is `unpacked` bytes of zeros, packed about 1000 : 1."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("word/document.xml", "<document/>")
        with z.open("word/media/image1.png", "w", force_zip64=True) as part:
            chunk = bytes(MiB)
            for _ in range(unpacked // MiB):
                part.write(chunk)
    return buf.getvalue()


def lying_zip(unpacked=32 * MiB, claimed=1000):
    """A .docx whose [Content_Types].xml claims `claimed` bytes but inflates to `unpacked`."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES + " " * (unpacked - len(CONTENT_TYPES)))
        z.writestr("word/document.xml", "<document/>")
    data = bytearray(buf.getvalue())
    name = b"[Content_Types].xml"
    struct.pack_into("<I", data, 22, claimed)  # the first local header is [Content_Types].xml's
    central = data.index(b"PK\x01\x02")
    assert data[central + 46: central + 46 + len(name)] == name
    struct.pack_into("<I", data, central + 24, claimed)
    return bytes(data)


def nested_zip(depth, inside_docx=False):
    """A zip inside a zip ... `depth` times; as a plain archive, or embedded in a .docx."""
    inner = b"the innermost file"
    for level in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"layer{level}.zip", inner)
        inner = buf.getvalue()
    if not inside_docx:
        return inner
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("word/document.xml", "<document/>")
        z.writestr("word/embeddings/package1.zip", inner)
    return buf.getvalue()


def many_entries_zip(entries):
    """A .docx with `entries` empty parts besides its own two."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("word/document.xml", "<document/>")
        for n in range(entries):
            z.writestr(f"p/{n}", b"")
    return buf.getvalue()


def genuine_xls(rows=1):
    """A real Excel 97-2003 workbook, written by xlwt (its own compound-file writer)."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("发票")
    for row in range(rows):
        sheet.write(row, 0, "商家拒绝退货")
        sheet.write(row, 1, row * 1.5)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
