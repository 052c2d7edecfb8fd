"""Reading untrusted containers safely: zip archives, Office files (which are zips), CSV bytes.

Limits are checked before anything is decompressed or parsed: a zip bomb, a workbook whose XML
would expand beyond the limit, members with ``../`` or absolute paths, encrypted workbooks and
files of another type renamed to .xlsx are refused with a clear message.

A workbook's parts are then unpacked here once (never to disk) before the Excel reader sees them:
a member whose compressed stream holds more than its header declares, a sheet whose cells reach
beyond Excel's grid or span more cells than the limit (the reader allocates the whole rectangle),
and a shared-string table declaring far more strings than it holds are refused; each of these
would otherwise make the reader allocate without bound and abort the process.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import struct
import zipfile
import zlib

from importers.base import Limits, Problem, SourceFile, SourceFileError

__all__ = [
    "Limits",
    "check_office_zip",
    "decode_text",
    "expand_zip",
    "looks_like_zip",
    "sheet_origins",
    "too_large",
]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and legacy .xls


def looks_like_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _check_members(name: str, archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise SourceFileError.at(
            name, name, "container.too_many_members", count=f"{len(infos):,}", limit=f"{limits.max_members:,}"
        )
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > limits.max_unzipped_bytes or total / packed > limits.max_ratio:
        raise SourceFileError.at(
            name,
            name,
            "container.zip_bomb",
            unpacked=f"{total:,}",
            packed=f"{packed:,}",
            limit=f"{limits.max_unzipped_bytes:,}",
            ratio=limits.max_ratio,
        )
    return infos


def check_office_zip(source: SourceFile, limits: Limits) -> None:
    """Refuse an .xlsx/.xlsm that is not a sound, bounded Office zip, before any parser sees it."""
    if len(source.data) > limits.max_file_bytes:
        raise too_large(source, limits)
    if source.data[:8] == _OLE_MAGIC:
        raise SourceFileError.at(source.name, source.name, "container.encrypted_or_xls")
    if not looks_like_zip(source.data):
        raise SourceFileError.at(source.name, source.name, "container.not_xlsx")
    key = ("office zip checked", limits)
    if key not in source.cache:  # intake and the readers both ask; unpack the parts once
        try:
            _check_office_parts(source, limits)
            source.cache[key] = None
        except SourceFileError as exc:
            source.cache[key] = exc
    if source.cache[key] is not None:
        raise source.cache[key]  # type: ignore[misc]


def _check_office_parts(source: SourceFile, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            infos = _check_members(source.name, archive, limits)
    except zipfile.BadZipFile:
        raise SourceFileError.at(source.name, source.name, "container.workbook_damaged") from None
    except _ZIP_ERRORS as exc:
        raise SourceFileError.at(
            source.name, source.name, "container.workbook_unreadable", reason_key=_damage(exc)
        ) from None
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise SourceFileError.at(source.name, source.name, "container.zip_not_xlsx")
    cells = 0
    origins: dict[str, tuple[int, int]] = {}
    for info in infos:
        where = f"{source.name}: {info.filename}"
        data = _unpack(source, info, where)
        if b"sheetData" in data:
            part_cells, origins[info.filename] = _sheet_cells(data, where, limits)
            cells += part_cells
            if cells > limits.max_cells:
                raise SourceFileError.at(
                    source.name,
                    where,
                    "container.workbook_too_many_cells",
                    cells=f"{cells:,}",
                    limit=f"{limits.max_cells:,}",
                )
        elif b"sst" in data[:4096]:
            _check_shared_strings(data, where)
    source.cache[_ORIGINS] = origins


# What Python's zipfile raises for archives damaged in ways it does not call BadZipFile.
_ZIP_ERRORS = (zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError, RuntimeError, zlib.error)


def _damage(exc: Exception) -> str:
    """What is wrong with a damaged archive, as a message key (``reason_key`` of the message that
    says the archive or member cannot be read); never the library's own text."""
    if isinstance(exc, UnicodeDecodeError):
        return "container.damage.name_not_utf8"
    if isinstance(exc, zlib.error):
        return "container.damage.data_corrupt"
    if isinstance(exc, RuntimeError):  # zipfile: "is encrypted, password required", "Bad password"
        return "container.damage.encrypted"
    if isinstance(exc, NotImplementedError):  # zipfile: "That compression method is not supported"
        return "container.damage.method"
    if isinstance(exc, zipfile.LargeZipFile):
        return "container.damage.zip64"
    return "container.damage.structure"


def _unpack(source: SourceFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """A member's bytes, refusing a stream that holds more (or other) than its headers declare:
    the Excel reader would unpack all of it, whatever the header says."""
    data = source.data
    offset = info.header_offset
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise SourceFileError.at(source.name, where, "container.part_method", method=info.compress_type)
    if info.flag_bits & 0x1:
        raise SourceFileError.at(source.name, where, "container.part_encrypted")
    if data[offset : offset + 4] != b"PK\x03\x04" or len(data) < offset + 30:
        raise SourceFileError.at(source.name, where, "container.part_header_missing")
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_length + extra_length
    packed = data[start : start + info.compress_size]
    try:
        if info.compress_type == zipfile.ZIP_STORED:
            unpacked = packed
        else:
            unpacked = zlib.decompressobj(-15).decompress(packed, info.file_size + 1)
    except zlib.error:
        raise SourceFileError.at(source.name, where, "container.part_corrupt") from None
    if len(unpacked) > info.file_size:
        raise SourceFileError.at(source.name, where, "container.part_longer", declared=f"{info.file_size:,}")
    if len(unpacked) < info.file_size or zlib.crc32(unpacked) != info.CRC:
        raise SourceFileError.at(source.name, where, "container.part_checksum")
    return unpacked


# Excel's grid; the reader would accept references beyond it and allocate accordingly.
_MAX_ROWS, _MAX_COLUMNS = 1_048_576, 16_384
# Start tags of rows and cells, end tags of rows (any namespace prefix; quoted values may hold ">").
_SHEET_TAG = re.compile(
    rb"<(?:/(?:[A-Za-z_][\w.\-]*:)?row\s*>|(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>)"
)
_ATTRIBUTE = re.compile(rb"\s*([^\s=\"'/]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')\s*")
_CELL_REF = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})")


def _r_attribute(attributes: bytes, where: str, source_name: str) -> bytes | None:
    """The ``r`` attribute of a row or cell tag (the reader's rule: exactly that name), or None."""
    body = attributes.rstrip()
    if body.endswith(b"/"):
        body = body[:-1]
    position, found = 0, None
    while position < len(body):
        match = _ATTRIBUTE.match(body, position)
        if match is None or match.end() == position:
            raise SourceFileError.at(source_name, where, "container.sheet_tag_malformed")
        if match.group(1) == b"r":
            if found is not None:
                raise SourceFileError.at(source_name, where, "container.sheet_tag_two_places")
            found = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    return found


# Cells as Excel, LibreOffice and openpyxl write them: ``<c r="B12"`` (every cell with its place).
_PLAIN_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_PLAIN_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
# A cell with content (``<c r="B3" s="1"/>`` is only formatting: the reader skips it).
_PLAIN_VALUED_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>')
# Anything else: prefixed row or cell tags, or cell tags spaced otherwise.
_ODD_CELLS = (re.compile(rb":(?:c|row)[\s/>]"), re.compile(rb"<c[\t\n\r\f\v/>]"))


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + letter - 64
    return index - 1


def _plain_origin(xml: bytes) -> tuple[int, int]:
    """The first row and column holding a value, for a sheet whose cells name their places plainly."""
    valued = _PLAIN_VALUED_CELL.findall(xml)
    if not valued:
        return 0, 0
    return min(int(r) for _, r in valued) - 1, min(_column_index(c) for c in {c for c, _ in valued})


def _plain_sheet_cells(xml: bytes) -> int | None:
    """The rectangle of every cell, when every cell names its place plainly (no per-cell Python
    work: a 100,000-row list is measured in milliseconds); None when the sheet needs the full walk."""
    if any(odd.search(xml) for odd in _ODD_CELLS):
        return None
    rows = _PLAIN_CELL_ROW.findall(xml)
    cells = xml.count(b"<c ")
    # Every cell tag starts with its place, and no tag holds a second one.
    if len(rows) != cells or xml.count(b' r="') != cells + xml.count(b'<row r="'):
        return None
    if not rows:
        return 0
    numbers = {int(r) for r in set(rows)}
    columns = {_column_index(c) for c in set(_PLAIN_CELL_COLUMN.findall(xml))}
    top, bottom, left, right = min(numbers) - 1, max(numbers) - 1, min(columns), max(columns)
    if top < 0 or bottom >= _MAX_ROWS or right >= _MAX_COLUMNS:
        return None  # the walk says where and why
    return (bottom - top + 1) * (right - left + 1)


def _sheet_cells(xml: bytes, where: str, limits: Limits) -> tuple[int, tuple[int, int]]:
    """How many cells the reader will allocate for this sheet: the rectangle from its first filled
    row and column to its last, positions worked out as the reader does (``r`` or the next one);
    and that rectangle's first row and column (0-based), where the reader's table starts."""
    plain = _plain_sheet_cells(xml)  # counts empty <c/> too; the walk decides when that is too many
    if plain is not None and plain <= limits.max_cells:
        return plain, _plain_origin(xml)
    source_name = where.split(": ", 1)[0]
    row = col = 0
    top = left = _MAX_ROWS
    bottom = right = -1
    for match in _SHEET_TAG.finditer(xml):
        name, attributes = match.group(1), match.group(2)
        if name is None:  # </row>
            row, col = row + 1, 0
            continue
        empty = attributes.rstrip().endswith(b"/")
        ref = _r_attribute(attributes, where, source_name)
        if name == b"row":
            if ref is not None:
                if not ref.isdigit() or len(ref) > 9 or not 1 <= int(ref) <= _MAX_ROWS:
                    raise SourceFileError.at(
                        source_name, where, "container.row_outside_grid", row=ref.decode(errors="replace")[:20]
                    )
                row = int(ref) - 1
            if empty:
                row, col = row + 1, 0
            continue
        if ref is not None:
            cell = _CELL_REF.fullmatch(ref)
            if cell is None:
                raise SourceFileError.at(
                    source_name, where, "container.bad_cell_reference", reference=ref.decode(errors="replace")[:20]
                )
            cell_row, col = int(cell.group(2)) - 1, _column_index(cell.group(1))
        else:
            cell_row = row
        if not (0 <= cell_row < _MAX_ROWS and 0 <= col < _MAX_COLUMNS):
            raise SourceFileError.at(
                source_name, where, "container.cell_outside_grid", row=f"{cell_row + 1:,}", column=f"{col + 1:,}"
            )
        if not empty:  # a cell written as <c .../> holds no value and is not kept
            top, bottom = min(top, cell_row), max(bottom, cell_row)
            left, right = min(left, col), max(right, col)
        col += 1
    if bottom < 0:
        return 0, (0, 0)
    cells = (bottom - top + 1) * (right - left + 1)
    if cells > limits.max_cells:
        raise SourceFileError.at(
            source_name,
            where,
            "container.sheet_too_many_cells",
            cells=f"{cells:,}",
            first_row=f"{top + 1:,}",
            last_row=f"{bottom + 1:,}",
            first_column=f"{left + 1:,}",
            last_column=f"{right + 1:,}",
            limit=f"{limits.max_cells:,}",
        )
    return cells, (top, left)


_ORIGINS = "sheet parts' first filled cells"
_SHEET_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheet(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?Relationship(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")


def _attributes(tag: bytes) -> dict[str, str]:
    """A tag's attributes by local name (``r:id`` → ``id``), entities resolved."""
    return {
        m.group(1).split(b":")[-1].decode(errors="replace"): html.unescape(
            (m.group(2) if m.group(2) is not None else m.group(3) or b"").decode(errors="replace")
        )
        for m in _ATTRIBUTE.finditer(tag.rstrip(b"/"))
    }


def sheet_origins(source: SourceFile, limits: Limits) -> dict[str, tuple[int, int]]:
    """Each sheet's first filled row and column (0-based): the Excel reader starts its table there,
    so a location in the table is shifted by this much to name the cell a person sees."""
    check_office_zip(source, limits)
    parts: dict[str, tuple[int, int]] = source.cache.get(_ORIGINS, {})
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            workbook = archive.read("xl/workbook.xml")
            relations = archive.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, *_ZIP_ERRORS):
        return {}
    targets = {}
    for match in _RELATIONSHIP.finditer(relations):
        found = _attributes(match.group(1))
        if "Id" in found and "Target" in found:
            target = found["Target"]
            targets[found["Id"]] = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
    origins = {}
    for match in _SHEET_ENTRY.finditer(workbook):
        found = _attributes(match.group(1))
        part = targets.get(found.get("id", ""))
        if "name" in found and part in parts:
            origins[found["name"]] = parts[part]
    return origins


_SST_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sst(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_SI_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si(?=[\s/>])")


def _check_shared_strings(xml: bytes, where: str) -> None:
    """The reader reserves room for ``uniqueCount`` strings up front: refuse a count the table
    does not hold."""
    match = _SST_TAG.search(xml)
    if match is None:
        return
    source_name = where.split(": ", 1)[0]
    declared = None
    for attribute in _ATTRIBUTE.finditer(match.group(1)):
        if attribute.group(1) == b"uniqueCount":
            value = attribute.group(2) if attribute.group(2) is not None else attribute.group(3)
            declared = int(value[:15]) if value.isdigit() else None
    if declared is None or declared <= 10_000:
        return
    held = len(_SI_TAG.findall(xml))
    if declared > 2 * held + 10_000:
        raise SourceFileError.at(
            source_name, where, "container.shared_strings", declared=f"{declared:,}", held=f"{held:,}"
        )


def expand_zip(source: SourceFile, limits: Limits) -> tuple[list[SourceFile], list[tuple[SourceFile | str, Problem]]]:
    """The files inside a zip upload (named ``archive.zip/inner/path``), and the members refused
    (with their bytes where they could be read, so that they can be kept in quarantine)."""
    if len(source.data) > limits.max_file_bytes:
        raise too_large(source, limits)
    files: list[SourceFile] = []
    refused: list[tuple[SourceFile | str, Problem]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            for info in _check_members(source.name, archive, limits):
                member = info.filename
                display = f"{source.name}/{member}"
                if not member:  # a name that is empty, or starts with a NUL byte
                    refused.append((display, Problem.of(display, "container.member_no_name")))
                    continue
                if info.is_dir():
                    continue
                normal = posixpath.normpath(member.replace("\\", "/"))
                if member.startswith(("/", "\\")) or normal.startswith("..") or ":" in member.split("/")[0]:
                    # Never extracted to disk; read only to keep it in quarantine.
                    kept: SourceFile | str = display
                    if info.file_size <= limits.max_file_bytes:
                        try:
                            kept = SourceFile(name=display, data=archive.read(info))
                        except (zipfile.BadZipFile, *_ZIP_ERRORS):
                            pass  # refused either way; its bytes are just not kept
                    refused.append((kept, Problem.of(display, "container.member_leaves_archive")))
                    continue
                if posixpath.basename(normal).startswith((".", "__MACOSX")) or normal.startswith("__MACOSX/"):
                    continue  # Finder and editor droppings, not supplier files
                if info.flag_bits & 0x1:
                    refused.append((display, Problem.of(display, "container.member_encrypted")))
                    continue
                if info.file_size > limits.max_file_bytes:
                    refused.append(
                        (
                            display,
                            Problem.of(
                                display,
                                "container.member_too_large",
                                size=f"{info.file_size:,}",
                                limit=f"{limits.max_file_bytes:,}",
                            ),
                        )
                    )
                    continue
                try:
                    files.append(SourceFile(name=display, data=archive.read(info)))
                except zipfile.BadZipFile:  # a bad CRC, a header that does not match the directory
                    refused.append((display, Problem.of(display, "container.member_damaged")))
                except _ZIP_ERRORS as exc:
                    refused.append(
                        (display, Problem.of(display, "container.member_unreadable", reason_key=_damage(exc)))
                    )
    except zipfile.BadZipFile:
        raise SourceFileError.at(source.name, source.name, "container.zip_damaged") from None
    except _ZIP_ERRORS as exc:
        raise SourceFileError.at(
            source.name, source.name, "container.zip_unreadable", reason_key=_damage(exc)
        ) from None
    return files, refused


def too_large(source: SourceFile, limits: Limits) -> SourceFileError:
    """The error of a file over the size limit (``container.file_too_large``)."""
    return SourceFileError.at(
        source.name,
        source.name,
        "container.file_too_large",
        size=f"{len(source.data):,}",
        limit=f"{limits.max_file_bytes:,}",
    )


def decode_text(source: SourceFile) -> tuple[str, str]:
    """Text of a CSV/TSV and the encoding found: UTF-8 (with or without BOM) or Shift_JIS/CP932."""
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise SourceFileError.at(
                source.name, f"{source.name} position {exc.start + 3}", "container.bom_not_utf8"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
        # CP932 maps a few undefined bytes to private-use characters: that is not Shift_JIS text.
        odd = next(
            (i for i, ch in enumerate(text) if "\ue000" <= ch <= "\uf8ff" or (ch < " " and ch not in "\t\r\n")), None
        )
        if odd is not None:
            raise UnicodeDecodeError("cp932", data, odd, odd + 1, "not text")
    except UnicodeDecodeError as exc:
        raise SourceFileError.at(
            source.name, f"{source.name} position {exc.start}", "container.unknown_encoding"
        ) from None
    return text, "cp932"
