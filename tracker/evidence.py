"""Evidence files: check an upload by its content, strip it of metadata, and keep it on disk by content hash.

Pure file handling: no Flask. The web layer passes the stream, the browser's file name, the upload root and
the limits, and turns `EvidenceRejected.reason` into a translated message and an HTTP status.
"""

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image
from PIL import ImageOps

#: The reasons a file can be refused, one per message the web layer translates.
REJECTION_REASONS = frozenset({"type", "size", "name", "damaged", "active_content"})

#: Longest original file name kept, in characters after NFC normalisation.
MAX_NAME_CHARS = 200

#: How much of the stream is read per call while enforcing the size limit.
READ_CHUNK_BYTES = 64 * 1024

#: A PDF's end-of-file marker must appear within this many bytes of the end (PDF reference, implementation note).
PDF_EOF_WINDOW_BYTES = 1024

#: PDF name prefixes that mean scripts, launched programs or embedded files; any of them refuses the PDF.
PDF_ACTIVE_NAME_PREFIXES = ("JavaScript", "Launch", "EmbeddedFile")

#: The short key of a JavaScript action, refused only as an exact name (a prefix would catch ordinary names).
PDF_ACTIVE_EXACT_NAMES = frozenset({"JS"})

#: A PDF name token: a solidus and the regular characters after it (ISO 32000-1, 7.2.2 and 7.3.5).
PDF_NAME_PATTERN = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\]()%{}]*)")

#: A `#xx` escape inside a PDF name, used to hide `/JavaScript` as `/J#61vaScript`.
PDF_NAME_ESCAPE_PATTERN = re.compile(rb"#([0-9A-Fa-f]{2})")

#: Bidirectional embedding, override and isolate characters: they make `gpj.exe` display as `exe.jpg`.
BIDI_CONTROL_CHARS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

#: What a stored name looks like: shard folder, SHA-256 of the stored bytes, extension.
STORED_NAME_PATTERN = re.compile(r"(?P<shard>[0-9a-f]{2})/(?P<sha256>[0-9a-f]{64})\.(?:jpg|png|webp|pdf)")


#: Name parts of the file an upload is written to before it is renamed to its content-hash name.
TEMPORARY_PREFIX = "."
TEMPORARY_SUFFIX = ".part"

@dataclass(frozen=True)
class EvidenceFormat:
    """How one accepted content type is recognised, decoded and stored."""

    content_type: str
    extension: str
    #: Pillow format name used both to decode (nothing else is tried) and to re-encode; None for PDF.
    pillow_format: str | None
    #: Image modes this format saves as they are; any other mode is converted first.
    kept_modes: frozenset[str]
    save_options: tuple[tuple[str, object], ...]


JPEG = EvidenceFormat("image/jpeg", ".jpg", "JPEG", frozenset({"L", "RGB"}), (("quality", 90),))
PNG = EvidenceFormat(
    "image/png", ".png", "PNG", frozenset({"1", "L", "LA", "I", "I;16", "RGB", "RGBA"}), (("optimize", True),)
)
WEBP = EvidenceFormat("image/webp", ".webp", "WEBP", frozenset({"RGB", "RGBA"}), (("quality", 90),))
PDF = EvidenceFormat("application/pdf", ".pdf", None, frozenset(), ())

#: Accepted formats by content type; nothing outside this table is ever stored.
FORMATS_BY_CONTENT_TYPE = {evidence_format.content_type: evidence_format for evidence_format in (JPEG, PNG, WEBP, PDF)}


class EvidenceRejected(ValueError):  # noqa: N818 - the name is the API the web layer and the issue agreed on
    """An upload refused for a reason the web layer can translate and map to a status code."""

    def __init__(self, reason: str, message: str) -> None:
        """Keep the machine-readable reason beside the short English message."""
        if reason not in REJECTION_REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class EvidenceLimits:
    """Upload limits, taken from the app's settings by the caller."""

    max_file_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000


@dataclass(frozen=True)
class PreparedFile:
    """An upload that passed every check, re-encoded in memory and not yet on disk."""

    content: bytes
    sha256: str
    content_type: str
    extension: str
    original_name: str

    @property
    def size(self) -> int:
        """Size of the bytes that will be stored, after re-encoding."""
        return len(self.content)

    @property
    def stored_name(self) -> str:
        """Path relative to the upload root: shard folder, content hash, extension."""
        return f"{self.sha256[:2]}/{self.sha256}{self.extension}"


@dataclass(frozen=True)
class StoredFile:
    """What the evidence row records about a file on disk."""

    sha256: str
    size: int
    content_type: str
    #: Relative to the upload root, e.g. "ab/ab12….jpg"; turn it into a path only with `resolve_stored`.
    stored_name: str
    #: The consumer's file name, for display and the download header only, never for a path.
    original_name: str
    #: False when the same content was already stored (by this or any other case).
    created: bool


def sniff_content_type(head: bytes) -> str | None:
    """Tell the content type from the first bytes, because names and browser headers can lie."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG.content_type
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG.content_type
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP.content_type
    if head.startswith(b"%PDF-"):
        return PDF.content_type
    return None


def check_original_name(name: str) -> str:
    """Return the NFC form of a display name, refusing anything that could pass for a path or spoof the display."""
    normalised_name = unicodedata.normalize("NFC", name)
    if not normalised_name.strip():
        raise EvidenceRejected("name", "The file name is empty.")
    if len(normalised_name) > MAX_NAME_CHARS:
        raise EvidenceRejected("name", f"The file name is longer than {MAX_NAME_CHARS} characters.")
    if "/" in normalised_name or "\\" in normalised_name or normalised_name == "." or normalised_name.startswith(".."):
        raise EvidenceRejected("name", "The file name looks like a path.")
    if any(_is_control_char(char) for char in normalised_name):
        raise EvidenceRejected("name", "The file name contains control characters.")
    return normalised_name


def prepare_upload(stream: BinaryIO, original_name: str, limits: EvidenceLimits) -> PreparedFile:
    """Run every check and re-encode in memory, so that nothing reaches the disk before all checks pass."""
    display_name = check_original_name(original_name)
    uploaded_bytes = _read_bounded(stream, limits.max_file_bytes)
    content_type = sniff_content_type(uploaded_bytes[:16])
    if content_type is None:
        raise EvidenceRejected("type", "Only JPEG, PNG and WebP photos and PDF documents are accepted.")
    evidence_format = FORMATS_BY_CONTENT_TYPE[content_type]
    if evidence_format is PDF:
        _check_pdf(uploaded_bytes)
        stored_bytes = uploaded_bytes
    else:
        stored_bytes = _reencode_image(uploaded_bytes, evidence_format, limits.max_pixels)
    return PreparedFile(
        content=stored_bytes,
        sha256=hashlib.sha256(stored_bytes).hexdigest(),
        content_type=content_type,
        extension=evidence_format.extension,
        original_name=display_name,
    )


def store_prepared(prepared: PreparedFile, root: Path) -> StoredFile:
    """Write the file under its content hash atomically, or reuse the copy that is already there."""
    target_path = resolve_stored(root, prepared.stored_name)
    created = not target_path.exists()
    if created:
        target_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target_path, prepared.content)
    return StoredFile(
        sha256=prepared.sha256,
        size=prepared.size,
        content_type=prepared.content_type,
        stored_name=prepared.stored_name,
        original_name=prepared.original_name,
        created=created,
    )


def store_upload(stream: BinaryIO, original_name: str, root: Path, limits: EvidenceLimits) -> StoredFile:
    """Check, re-encode and store one upload: the whole pipeline for a caller that needs nothing in between."""
    return store_prepared(prepare_upload(stream, original_name, limits), root)


def resolve_stored(root: Path, stored_name: str) -> Path:
    """Turn a stored name from the database into a path, refusing anything that could leave the upload root."""
    match = STORED_NAME_PATTERN.fullmatch(stored_name)
    if match is None or match["sha256"][:2] != match["shard"]:
        raise EvidenceRejected("name", "Not a stored evidence file name.")
    resolved_root = Path(root).resolve()
    resolved_path = (resolved_root / stored_name).resolve()
    if not resolved_path.is_relative_to(resolved_root):
        raise EvidenceRejected("name", "The stored file lies outside the upload folder.")
    return resolved_path


def delete_if_unreferenced(root: Path, stored_name: str) -> None:
    """Remove a file the caller has found no committed row refers to, e.g. after its transaction rolled back."""
    resolve_stored(root, stored_name).unlink(missing_ok=True)


def content_disposition(original_name: str, inline: bool = False) -> str:
    """Build a Content-Disposition value that every browser reads, with the exact name for those that can (RFC 6266)."""
    display_name = unicodedata.normalize("NFC", original_name)
    ascii_fallback = "".join(char if " " <= char <= "~" else "_" for char in display_name)
    quoted_fallback = ascii_fallback.replace("\\", "\\\\").replace('"', '\\"')
    encoded_name = urllib.parse.quote(display_name, safe="")
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{quoted_fallback}\"; filename*=UTF-8''{encoded_name}"


def _is_control_char(char: str) -> bool:
    """Control, line-separator and bidi-override characters: they break headers or disguise the extension."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROL_CHARS


def _read_bounded(stream: BinaryIO, max_file_bytes: int) -> bytes:
    """Read at most one byte past the limit, so an endless or huge stream is refused without being loaded."""
    buffer = bytearray()
    bytes_wanted = max_file_bytes + 1
    while len(buffer) < bytes_wanted:
        chunk = stream.read(min(READ_CHUNK_BYTES, bytes_wanted - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    if len(buffer) > max_file_bytes:
        raise EvidenceRejected("size", f"The file is larger than {max_file_bytes / (1024 * 1024):g} MiB.")
    return bytes(buffer)


def _check_pdf(pdf_bytes: bytes) -> None:
    """Refuse truncated PDFs and PDFs that could run code or carry other files when opened."""
    if b"%%EOF" not in pdf_bytes[-PDF_EOF_WINDOW_BYTES:]:
        raise EvidenceRejected("damaged", "The PDF is incomplete or damaged.")
    # A byte scan, not a parser: names inside compressed object streams (PDF 1.5+) are not seen.
    for raw_name in PDF_NAME_PATTERN.findall(pdf_bytes):
        name = PDF_NAME_ESCAPE_PATTERN.sub(lambda escape: bytes.fromhex(escape[1].decode()), raw_name)
        decoded_name = name.decode("latin-1")
        if decoded_name.startswith(PDF_ACTIVE_NAME_PREFIXES) or decoded_name in PDF_ACTIVE_EXACT_NAMES:
            raise EvidenceRejected("active_content", "PDFs with scripts, actions or attached files are not accepted.")


def _reencode_image(image_bytes: bytes, evidence_format: EvidenceFormat, max_pixels: int) -> bytes:
    """Decode with the one decoder the magic bytes named, upright it, and save only the pixels."""
    upright_image = _decode_upright(image_bytes, evidence_format, max_pixels)
    clean_image = _convert_for_saving(upright_image, evidence_format)
    clean_image.info = {}
    encoded_image = io.BytesIO()
    clean_image.save(encoded_image, format=evidence_format.pillow_format, **dict(evidence_format.save_options))
    return encoded_image.getvalue()


def _decode_upright(image_bytes: bytes, evidence_format: EvidenceFormat, max_pixels: int) -> Image.Image:
    """Decode the pixels, refusing decompression bombs outright, and apply the EXIF orientation."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that; a warning must refuse, not just log.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(image_bytes), formats=[evidence_format.pillow_format]) as decoded_image:
                width, height = decoded_image.size
                if width * height > max_pixels:
                    raise EvidenceRejected("size", f"The image has more than {max_pixels:,} pixels.")
                decoded_image.load()
                return ImageOps.exif_transpose(decoded_image)
    except EvidenceRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as bomb:
        raise EvidenceRejected("size", "The image has too many pixels.") from bomb
    except (OSError, SyntaxError, ValueError, EOFError) as decode_error:
        raise EvidenceRejected("damaged", "The image is damaged or not what its first bytes say.") from decode_error


def _convert_for_saving(image: Image.Image, evidence_format: EvidenceFormat) -> Image.Image:
    """Bring palette, CMYK and odd modes to one the format saves, keeping transparency where the format can."""
    if image.mode in evidence_format.kept_modes and "transparency" not in image.info:
        return image
    if evidence_format is not JPEG and image.has_transparency_data:
        return image.convert("RGBA")
    return image.convert("RGB")


def remove_abandoned_temporary_files(root: Path, older_than: float) -> int:
    """Delete temporary files that a writer killed between writing and renaming left behind (mtime < older_than).

    Younger ones may belong to an upload being written right now, so they stay.
    """
    if not root.is_dir():
        return 0
    removed = 0
    for path in root.rglob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
        try:
            if path.is_file() and path.stat().st_mtime < older_than:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _write_atomically(target_path: Path, content: bytes) -> None:
    """Write beside the target and rename over it, so no reader ever sees half a file."""
    file_descriptor, temporary_name = tempfile.mkstemp(
        dir=target_path.parent, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX
    )
    try:
        with os.fdopen(file_descriptor, "wb") as temporary_file:
            temporary_file.write(content)
            temporary_file.flush()
            os.fsync(temporary_file.fileno())
        os.replace(temporary_name, target_path)
    except BaseException:
        Path(temporary_name).unlink(missing_ok=True)
        raise
    _fsync_directory(target_path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable, so a committed evidence row never outlives its file after a crash."""
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)
