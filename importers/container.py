"""Reading untrusted containers safely: zip archives, Office files (which are zips), CSV bytes.

Limits are checked before anything is decompressed or parsed: a zip bomb, a workbook whose XML
would expand beyond the limit, members with ``../`` or absolute paths, encrypted workbooks and
files of another type renamed to .xlsx are refused with a clear message.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from importers.base import Limits, Problem, SourceFile, SourceFileError

__all__ = [
    "Limits",
    "check_office_zip",
    "decode_text",
    "expand_zip",
    "looks_like_zip",
]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and legacy .xls


def looks_like_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _check_members(name: str, archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise SourceFileError.at(name, name, f"the archive has {len(infos)} members; the limit is {limits.max_members}")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > limits.max_unzipped_bytes or total / packed > limits.max_ratio:
        raise SourceFileError.at(
            name,
            name,
            f"refused as a possible zip bomb: {total:,} bytes unpacked from {packed:,} "
            f"(limits {limits.max_unzipped_bytes:,} bytes, ratio {limits.max_ratio})",
        )
    return infos


def check_office_zip(source: SourceFile, limits: Limits) -> None:
    """Refuse an .xlsx/.xlsm that is not a sound, bounded Office zip, before any parser sees it."""
    if len(source.data) > limits.max_file_bytes:
        raise SourceFileError.at(
            source.name, source.name, f"the file is {len(source.data):,} bytes; the limit is {limits.max_file_bytes:,}"
        )
    if source.data[:8] == _OLE_MAGIC:
        raise SourceFileError.at(
            source.name,
            source.name,
            "the workbook is password-protected (encrypted) or an old .xls file; save it unprotected as .xlsx and import again",
        )
    if not looks_like_zip(source.data):
        raise SourceFileError.at(
            source.name, source.name, "not an Excel workbook (.xlsx): the content is of another type"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            names = {i.filename for i in _check_members(source.name, archive, limits)}
    except zipfile.BadZipFile as exc:
        raise SourceFileError.at(source.name, source.name, f"the workbook is damaged or truncated ({exc})") from None
    except (zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise SourceFileError.at(source.name, source.name, f"the workbook cannot be read ({exc})") from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise SourceFileError.at(source.name, source.name, "a zip file, but not an Excel workbook (.xlsx)")


def expand_zip(source: SourceFile, limits: Limits) -> tuple[list[SourceFile], list[tuple[SourceFile | str, Problem]]]:
    """The files inside a zip upload (named ``archive.zip/inner/path``), and the members refused
    (with their bytes where they could be read, so that they can be kept in quarantine)."""
    if len(source.data) > limits.max_file_bytes:
        raise SourceFileError.at(
            source.name, source.name, f"the file is {len(source.data):,} bytes; the limit is {limits.max_file_bytes:,}"
        )
    files: list[SourceFile] = []
    refused: list[tuple[SourceFile | str, Problem]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            for info in _check_members(source.name, archive, limits):
                if info.is_dir():
                    continue
                member = info.filename
                display = f"{source.name}/{member}"
                normal = posixpath.normpath(member.replace("\\", "/"))
                if member.startswith(("/", "\\")) or normal.startswith("..") or ":" in member.split("/")[0]:
                    # Never extracted to disk; read only to keep it in quarantine.
                    kept = (
                        SourceFile(name=display, data=archive.read(info))
                        if info.file_size <= limits.max_file_bytes
                        else display
                    )
                    refused.append(
                        (
                            kept,
                            Problem(
                                location=display, message="member path leaves the archive (../ or absolute); refused"
                            ),
                        )
                    )
                    continue
                if posixpath.basename(normal).startswith((".", "__MACOSX")) or normal.startswith("__MACOSX/"):
                    continue  # Finder and editor droppings, not supplier files
                if info.flag_bits & 0x1:
                    refused.append((display, Problem(location=display, message="member is encrypted; not extracted")))
                    continue
                if info.file_size > limits.max_file_bytes:
                    refused.append(
                        (
                            display,
                            Problem(
                                location=display,
                                message=f"member is {info.file_size:,} bytes; the limit is {limits.max_file_bytes:,}",
                            ),
                        )
                    )
                    continue
                try:
                    files.append(SourceFile(name=display, data=archive.read(info)))
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    refused.append((display, Problem(location=display, message=f"member cannot be read ({exc})")))
    except zipfile.BadZipFile as exc:
        raise SourceFileError.at(source.name, source.name, f"the zip archive is damaged or truncated ({exc})") from None
    return files, refused


def decode_text(source: SourceFile) -> tuple[str, str]:
    """Text of a CSV/TSV and the encoding found: UTF-8 (with or without BOM) or Shift_JIS/CP932."""
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
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
            source.name,
            f"{source.name} position {exc.start}",
            "unknown text encoding: expected UTF-8 (with or without BOM) or Shift_JIS/CP932",
        ) from None
    return text, "cp932"
