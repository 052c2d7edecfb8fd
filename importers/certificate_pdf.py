"""A single certificate as a PDF: its text is extracted (pypdf) and the fields found are proposed
for a person to confirm or correct. An image-only PDF yields no text and an empty proposal, so
the person enters the fields by hand with the file attached."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

from pydantic import BaseModel, ConfigDict
from pypdf import PdfReader
from pypdf.errors import EmptyFileError, FileNotDecryptedError, LimitReachedError, PyPdfError

from importers.base import SourceFile, SourceFileError
from importers.normalise import parse_date

__all__ = ["CertificateProposal", "parse"]

_SCHEMES = (
    (re.compile(r"SCS.{0,6}★\s*4|★\s*4", re.I), "scs_star4"),
    (re.compile(r"SCS.{0,6}★\s*3|★\s*3", re.I), "scs_star3"),
    (re.compile(r"ISO\s*/?\s*IEC\s*27001|ISMS", re.I), "iso27001"),
    (re.compile(r"プライバシーマーク|PrivacyMark|Pマーク", re.I), "pmark"),
    (re.compile(r"二つ星"), "security_action_star2"),
    (re.compile(r"一つ星"), "security_action_star1"),
    (re.compile(r"SEMI\s*E187", re.I), "semi_e187"),
)
_NUMBER = re.compile(
    r"(?:登録番号|認証番号|Registration\s*(?:No\.?|Number)|Certificate\s*(?:No\.?|Number))\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9\-_/ ]{2,30}[A-Za-z0-9])",
    re.I,
)
_DATE = (
    r"(\d{4}[-/年.]\s*\d{1,2}[-/月.]\s*\d{1,2}日?|(?:令和|平成|R|H)\s*(?:元|\d{1,2})[年.]\s*\d{1,2}[月.]\s*\d{1,2}日?)"
)
_ISSUED = re.compile(
    r"(?:発行日|登録日|認証日|Issue\s*date|Issued(?:\s*on)?|Date\s*of\s*issue)\s*[:：]?\s*" + _DATE, re.I
)
_EXPIRY = re.compile(r"(?:有効期限|Expiry(?:\s*date)?|Expires(?:\s*on)?|Valid\s*until)\s*[:：]?\s*" + _DATE, re.I)
_HOLDER = re.compile(r"(?:組織名|事業者名|Holder|Organization|Organisation)\s*[:：]?\s*(.{2,60})", re.I)
_ISSUER = re.compile(r"(?:認証機関|発行者|評価機関|Issued\s*by|Certification\s*body)\s*[:：]?\s*(.{2,60})", re.I)


class CertificateProposal(BaseModel):
    """Fields found in a certificate PDF; any may be missing. ``text`` is what was read."""

    model_config = ConfigDict(extra="forbid")

    source_name: str
    sha256: str
    scheme: str | None = None
    registration_no: str | None = None
    issued_on: date | None = None
    expires_on: date | None = None
    holder: str | None = None
    issuer: str | None = None
    text: str = ""

    @property
    def image_only(self) -> bool:
        return not self.text.strip()


def _first_date(pattern: re.Pattern[str], text: str) -> date | None:
    match = pattern.search(text)
    if not match:
        return None
    try:
        return parse_date(match.group(1))
    except ValueError:
        return None


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1).strip().splitlines()[0].strip() if match else None


# A certificate's text layer is a few kilobytes; extracting text costs about 2 s per megabyte of
# drawing instructions, so a file with far more is not read (the person enters the fields by hand).
_MAX_CONTENT_BYTES = 1_000_000


def _page_texts(source: SourceFile, reader: PdfReader, max_pages: int) -> list[str]:
    texts, content = [], 0
    for page in reader.pages[:max_pages]:
        contents = page.get_contents()
        content += len(contents.get_data()) if contents is not None else 0
        if content > _MAX_CONTENT_BYTES:
            raise SourceFileError.at(source.name, source.name, "pdf.too_much_content", limit=f"{_MAX_CONTENT_BYTES:,}")
        texts.append(page.extract_text() or "")
    return texts


def parse(source: SourceFile, max_pages: int = 10) -> CertificateProposal:
    """Read a certificate PDF; raises SourceFileError for encrypted, damaged or non-PDF files."""
    if not source.data.startswith(b"%PDF"):
        raise SourceFileError.at(source.name, source.name, "pdf.not_pdf")
    try:
        reader = PdfReader(io.BytesIO(source.data))
        if reader.is_encrypted:
            raise SourceFileError.at(source.name, source.name, "pdf.encrypted")
        text = "\n".join(_page_texts(source, reader, max_pages))
    except SourceFileError:
        raise
    except FileNotDecryptedError:  # encrypted in a way is_encrypted did not say (WrongPasswordError too)
        raise SourceFileError.at(source.name, source.name, "pdf.encrypted") from None
    except NotImplementedError:  # pypdf: an encryption scheme or filter it does not implement
        raise SourceFileError.at(source.name, source.name, "pdf.unsupported_feature") from None
    except LimitReachedError:  # pypdf's limits on hostile files (decompression bombs)
        raise SourceFileError.at(source.name, source.name, "pdf.limit_reached") from None
    except EmptyFileError:
        raise SourceFileError.at(source.name, source.name, "pdf.empty") from None
    except RecursionError:  # objects referring to each other in a loop, or nested without end
        raise SourceFileError.at(source.name, source.name, "pdf.too_deep") from None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        # pypdf's own errors name the damage in English; a support person gets the error type
        raise SourceFileError.at(source.name, source.name, "pdf.damaged", error=type(exc).__name__) from None
    text = unicodedata.normalize("NFKC", text)
    scheme = next((code for pattern, code in _SCHEMES if pattern.search(text)), None)
    return CertificateProposal(
        source_name=source.name,
        sha256=source.sha256,
        scheme=scheme,
        registration_no=_first(_NUMBER, text),
        issued_on=_first_date(_ISSUED, text),
        expires_on=_first_date(_EXPIRY, text),
        holder=_first(_HOLDER, text),
        issuer=_first(_ISSUER, text),
        text=text,
    )
