"""Evidence files are judged by content, stripped of metadata, and stored by hash only once every check passed."""

import ast
import hashlib
import io
import unicodedata
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from tracker import evidence
from tracker.evidence import EvidenceLimits
from tracker.evidence import EvidenceRejected
from tracker.evidence import check_original_name
from tracker.evidence import content_disposition
from tracker.evidence import delete_if_unreferenced
from tracker.evidence import prepare_upload
from tracker.evidence import resolve_stored
from tracker.evidence import sniff_content_type
from tracker.evidence import store_prepared
from tracker.evidence import store_upload

DEFAULT_LIMITS = EvidenceLimits()
GPS_IFD_TAG = 0x8825
ORIENTATION_TAG = 0x0112
ROTATE_90_CLOCKWISE = 6


def image_bytes(image: Image.Image, image_format: str, **save_options) -> bytes:
    """Encode a Pillow image the way a phone or a scanner would hand it over."""
    encoded = io.BytesIO()
    image.save(encoded, format=image_format, **save_options)
    return encoded.getvalue()


def minimal_pdf(extra_catalog_entries: str = "") -> bytes:
    """A one-page PDF written by hand, with a correct cross-reference table."""
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {extra_catalog_entries}>>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref_offset = len(pdf)
    pdf += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        pdf += f"{offset:010d} 00000 n \n".encode()
    pdf += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_offset}\n%%EOF\n".encode()
    return bytes(pdf)


def files_under(root: Path) -> list[Path]:
    """Everything on disk below the upload root, temporary files included."""
    return sorted(path for path in root.rglob("*")) if root.exists() else []


@pytest.fixture
def root(tmp_path) -> Path:
    """An upload root outside any web root, as the app configures it."""
    upload_root = tmp_path / "evidence"
    upload_root.mkdir()
    return upload_root


@pytest.fixture
def photo_with_gps() -> bytes:
    """A phone photo: EXIF with GPS position and a sideways orientation, an XMP packet and a comment."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = ROTATE_90_CLOCKWISE
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD_TAG] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)}
    photo = Image.new("RGB", (40, 20), (200, 30, 30))
    return image_bytes(photo, "JPEG", exif=exif, xmp=b"<x:xmpmeta>secret place</x:xmpmeta>", comment=b"home")


def test_sniff_content_type_reads_magic_bytes_only():
    """Each accepted type is known by its first bytes; anything else is unknown."""
    assert sniff_content_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_content_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert sniff_content_type(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_content_type(b"%PDF-1.7\n") == "application/pdf"
    assert sniff_content_type(b"RIFF\x10\x00\x00\x00WAVEfmt ") is None
    assert sniff_content_type(b"GIF89a") is None
    assert sniff_content_type(b"") is None


def test_photo_is_stored_upright_without_exif_gps_or_xmp(root, photo_with_gps):
    """GPS coordinates in a consumer's photo never reach the disk, but the orientation they asked for does."""
    original = Image.open(io.BytesIO(photo_with_gps))
    assert original.getexif().get_ifd(GPS_IFD_TAG)

    stored = store_upload(io.BytesIO(photo_with_gps), "发票 照片(1).JPG", root, DEFAULT_LIMITS)

    stored_bytes = (root / stored.stored_name).read_bytes()
    assert stored.content_type == "image/jpeg"
    assert stored.stored_name == f"{stored.sha256[:2]}/{stored.sha256}.jpg"
    assert stored.sha256 == hashlib.sha256(stored_bytes).hexdigest()
    assert stored.size == len(stored_bytes)
    assert stored.original_name == "发票 照片(1).JPG"
    assert stored.created is True
    for marker in (b"Exif", b"xmpmeta", b"secret place", b"PhoneMaker", b"home"):
        assert marker not in stored_bytes
    reopened = Image.open(io.BytesIO(stored_bytes))
    assert reopened.size == (20, 40)
    assert dict(reopened.getexif()) == {}
    assert not reopened.getexif().get_ifd(GPS_IFD_TAG)
    assert "exif" not in reopened.info
    assert "icc_profile" not in reopened.info


def test_png_is_reencoded_and_keeps_its_transparency(root):
    """A screenshot with transparency stays a PNG with an alpha channel."""
    screenshot = Image.new("RGBA", (30, 30), (0, 128, 255, 100))
    upload = image_bytes(screenshot, "PNG", pnginfo=_png_text("Author", "someone"))

    stored = store_upload(io.BytesIO(upload), "screenshot.png", root, DEFAULT_LIMITS)

    stored_bytes = (root / stored.stored_name).read_bytes()
    assert stored.content_type == "image/png"
    assert stored.stored_name.endswith(".png")
    assert b"someone" not in stored_bytes
    reopened = Image.open(io.BytesIO(stored_bytes))
    assert reopened.mode == "RGBA"
    assert reopened.getpixel((0, 0)) == (0, 128, 255, 100)


def test_webp_is_reencoded_as_webp(root):
    """A WebP photo is accepted and stays WebP."""
    upload = image_bytes(Image.new("RGB", (32, 16), (10, 200, 10)), "WEBP", xmp=b"<x:xmpmeta>where</x:xmpmeta>")

    stored = store_upload(io.BytesIO(upload), "photo.webp", root, DEFAULT_LIMITS)

    stored_bytes = (root / stored.stored_name).read_bytes()
    assert stored.content_type == "image/webp"
    assert stored.stored_name.endswith(".webp")
    assert b"where" not in stored_bytes
    assert Image.open(io.BytesIO(stored_bytes)).size == (32, 16)


def test_cmyk_jpeg_and_palette_png_are_converted_so_they_can_be_saved(root):
    """Print-shop CMYK JPEGs become RGB; palette PNGs with a transparent colour become RGBA."""
    cmyk = image_bytes(Image.new("CMYK", (8, 8), (0, 255, 0, 0)), "JPEG")
    palette_image = Image.new("P", (8, 8), 1)
    palette_image.putpalette([0, 0, 0, 255, 0, 0])
    palette = image_bytes(palette_image, "PNG", transparency=0)

    stored_cmyk = store_upload(io.BytesIO(cmyk), "scan.jpg", root, DEFAULT_LIMITS)
    stored_palette = store_upload(io.BytesIO(palette), "chart.png", root, DEFAULT_LIMITS)

    assert Image.open(io.BytesIO((root / stored_cmyk.stored_name).read_bytes())).mode == "RGB"
    assert Image.open(io.BytesIO((root / stored_palette.stored_name).read_bytes())).mode == "RGBA"


def test_pdf_is_stored_byte_for_byte_under_its_hash(root):
    """A quality report PDF is kept exactly as the consumer sent it."""
    report = minimal_pdf()

    stored = store_upload(io.BytesIO(report), "质检报告.pdf", root, DEFAULT_LIMITS)

    assert stored.content_type == "application/pdf"
    assert stored.sha256 == hashlib.sha256(report).hexdigest()
    assert stored.stored_name == f"{stored.sha256[:2]}/{stored.sha256}.pdf"
    assert (root / stored.stored_name).read_bytes() == report
    assert stored.original_name == "质检报告.pdf"


def test_same_content_uploaded_twice_is_stored_once(root):
    """Two cases attaching the same report share one file; the second upload knows it created nothing."""
    report = minimal_pdf()

    first = store_upload(io.BytesIO(report), "report.pdf", root, DEFAULT_LIMITS)
    second = store_upload(io.BytesIO(report), "同一份报告.pdf", root, DEFAULT_LIMITS)

    assert first.created is True
    assert second.created is False
    assert second.stored_name == first.stored_name
    assert second.original_name == "同一份报告.pdf"
    assert files_under(root) == [root / first.stored_name[:2], root / first.stored_name]


def test_prepare_upload_writes_nothing(root, photo_with_gps):
    """Preparing is all in memory; only store_prepared touches the disk, and it leaves no temporary file."""
    prepared = prepare_upload(io.BytesIO(photo_with_gps), "photo.jpg", DEFAULT_LIMITS)
    assert files_under(root) == []

    stored = store_prepared(prepared, root)

    assert stored.sha256 == prepared.sha256
    assert files_under(root) == [root / stored.stored_name[:2], root / stored.stored_name]


def test_store_creates_the_root_when_it_is_missing(tmp_path):
    """A fresh deployment need not create the upload folder by hand."""
    missing_root = tmp_path / "not-yet" / "evidence"

    stored = store_upload(io.BytesIO(minimal_pdf()), "a.pdf", missing_root, DEFAULT_LIMITS)

    assert (missing_root / stored.stored_name).is_file()


def _png_text(key: str, value: str):
    """A PNG text chunk, the PNG way of carrying metadata."""
    text_chunks = PngInfo()
    text_chunks.add_text(key, value)
    return text_chunks


def _zip_bytes() -> bytes:
    """A small ZIP archive."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("invoice.txt", "not an image")
    return archive.getvalue()


def _truncated_png() -> bytes:
    """A real PNG cut off half way through its pixel data."""
    noisy = Image.effect_noise((64, 64), 50).convert("RGB")
    complete = image_bytes(noisy, "PNG")
    return complete[: len(complete) // 2]


REFUSED_UPLOADS = [
    pytest.param(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "photo.jpg", "type", id="exe-named-jpg"),
    pytest.param(
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "photo.jpg",
        "type",
        id="svg-named-jpg",
    ),
    pytest.param(b"<!DOCTYPE html><html><script>alert(1)</script></html>", "photo.png", "type", id="html-named-png"),
    pytest.param(image_bytes(Image.new("RGB", (4, 4)), "GIF"), "photo.jpg", "type", id="gif"),
    pytest.param(_zip_bytes(), "evidence.pdf", "type", id="zip"),
    pytest.param(b"", "empty.jpg", "type", id="empty-file"),
    pytest.param(b"%PDF-" + b"\x00" * (10 * 1024 * 1024 - 4), "big.pdf", "size", id="10-MiB-plus-1-byte"),
    pytest.param(_truncated_png(), "cut.png", "damaged", id="truncated-png"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 8, "fake.png", "damaged", id="png-magic-only"),
    pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 64, "fake.jpg", "damaged", id="jpeg-magic-only"),
    pytest.param(b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "fake.webp", "damaged", id="webp-magic-only"),
    pytest.param(minimal_pdf()[:-20], "cut.pdf", "damaged", id="pdf-without-eof"),
    pytest.param(
        minimal_pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "),
        "report.pdf",
        "active_content",
        id="pdf-javascript",
    ),
    pytest.param(
        minimal_pdf("/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> "),
        "report.pdf",
        "active_content",
        id="pdf-javascript-hex-escaped",
    ),
    pytest.param(
        minimal_pdf("/OpenAction << /S /Launch /F (cmd.exe) >> "), "report.pdf", "active_content", id="pdf-launch"
    ),
    pytest.param(
        minimal_pdf("/Names << /EmbeddedFiles << /Names [] >> >> "),
        "report.pdf",
        "active_content",
        id="pdf-embedded-file",
    ),
    pytest.param(minimal_pdf(), "../../etc/passwd.jpg", "name", id="dot-dot-path"),
    pytest.param(minimal_pdf(), "a/b.jpg", "name", id="slash"),
    pytest.param(minimal_pdf(), "C:\\x\\y.jpg", "name", id="windows-path"),
    pytest.param(minimal_pdf(), "\x00.jpg", "name", id="nul"),
]


@pytest.mark.parametrize(("upload", "original_name", "reason"), REFUSED_UPLOADS)
def test_refused_upload_leaves_the_root_empty(root, upload, original_name, reason):
    """Every refusal names its reason, has a message, and writes nothing at all."""
    with pytest.raises(EvidenceRejected) as refusal:
        store_upload(io.BytesIO(upload), original_name, root, DEFAULT_LIMITS)

    assert refusal.value.reason == reason
    assert str(refusal.value)
    assert files_under(root) == []


def test_size_limit_reads_no_more_than_one_byte_past_it(root):
    """An endless stream is refused after limit + 1 bytes, never loaded whole."""

    class EndlessStream(io.RawIOBase):
        """Zeros after a PDF header, forever, counting what was read."""

        bytes_served = 0

        def readable(self) -> bool:
            """A readable stream."""
            return True

        def readinto(self, buffer) -> int:
            """Fill the buffer with zeros (a PDF header first)."""
            chunk = (b"%PDF-" + b"\x00" * len(buffer))[: len(buffer)] if self.bytes_served == 0 else bytes(len(buffer))
            buffer[: len(chunk)] = chunk
            self.bytes_served += len(chunk)
            return len(chunk)

    endless = EndlessStream()
    limits = EvidenceLimits(max_file_bytes=100_000)

    with pytest.raises(EvidenceRejected) as refusal:
        store_upload(endless, "endless.pdf", root, limits)

    assert refusal.value.reason == "size"
    assert endless.bytes_served == limits.max_file_bytes + 1
    assert files_under(root) == []


def test_file_exactly_at_the_size_limit_is_accepted(root):
    """The limit is inclusive: a file of exactly max_file_bytes passes the size check."""
    report = minimal_pdf()
    limits = EvidenceLimits(max_file_bytes=len(report))

    stored = store_upload(io.BytesIO(report), "report.pdf", root, limits)

    assert stored.size == len(report)


def test_image_over_the_pixel_limit_is_refused_before_decoding(root):
    """A small file that would decode to 48 megapixels is refused under the default 40-megapixel limit."""
    bomb = image_bytes(Image.new("1", (8000, 6000)), "PNG")
    assert len(bomb) < DEFAULT_LIMITS.max_file_bytes

    with pytest.raises(EvidenceRejected) as refusal:
        store_upload(io.BytesIO(bomb), "bomb.png", root, DEFAULT_LIMITS)

    assert refusal.value.reason == "size"
    assert files_under(root) == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pillow_decompression_bomb_warning_refuses_instead_of_warning(root):
    """Even with a generous setting, an image past Pillow's own bomb threshold is refused, not merely logged.

    Production does not turn warnings into errors as this suite does, so the test ignores the warning too.
    """
    bomb = image_bytes(Image.new("1", (10_000, 9_000)), "PNG")
    generous_limits = EvidenceLimits(max_pixels=10**9)

    with pytest.raises(EvidenceRejected) as refusal:
        store_upload(io.BytesIO(bomb), "bomb.png", root, generous_limits)

    assert refusal.value.reason == "size"
    assert isinstance(refusal.value.__cause__, Image.DecompressionBombWarning)
    assert files_under(root) == []


def test_pixel_limit_comes_from_the_settings(root):
    """The caller's limit applies, not a constant."""
    upload = image_bytes(Image.new("RGB", (20, 20)), "PNG")

    with pytest.raises(EvidenceRejected) as refusal:
        store_upload(io.BytesIO(upload), "photo.png", root, EvidenceLimits(max_pixels=399))

    assert refusal.value.reason == "size"
    assert store_upload(io.BytesIO(upload), "photo.png", root, EvidenceLimits(max_pixels=400)).created


@pytest.mark.parametrize(
    "original_name",
    [
        "../../etc/passwd.jpg",
        "a/b.jpg",
        "C:\\x\\y.jpg",
        "\x00.jpg",
        "photo\n.jpg",
        "photo\x7f.jpg",
        "invoice\u202egpj.exe",
        ".",
        "..",
        "..hidden.jpg",
        "",
        "   ",
        "x" * 197 + ".jpg",
    ],
)
def test_path_like_or_spoofing_names_are_refused(original_name):
    """A file name is only ever a label; anything that could act as a path or disguise itself is refused."""
    with pytest.raises(EvidenceRejected) as refusal:
        check_original_name(original_name)

    assert refusal.value.reason == "name"


@pytest.mark.parametrize(
    "original_name", ["质检报告.pdf", "发票 照片(1).JPG", ".photo.jpg", "a..b.jpg", "x" * 196 + ".jpg"]
)
def test_ordinary_names_are_kept_exactly(original_name):
    """Chinese names, spaces, brackets and inner dots are fine and come back unchanged."""
    assert check_original_name(original_name) == original_name


def test_names_are_nfc_normalised():
    """A name typed on a system that decomposes accents is stored in composed form."""
    decomposed = unicodedata.normalize("NFD", "café.jpg")
    assert decomposed != "café.jpg"

    assert check_original_name(decomposed) == "café.jpg"


def test_chinese_name_round_trips_through_content_disposition():
    """The UTF-8 filename* gives back the exact name; the ASCII fallback keeps the extension."""
    header_value = content_disposition("质检报告 (最终版).pdf")

    disposition, fallback_part, encoded_part = header_value.split("; ")
    assert disposition == "attachment"
    assert fallback_part == 'filename="____ (___).pdf"'
    assert encoded_part.startswith("filename*=UTF-8''")
    assert urllib.parse.unquote(encoded_part.removeprefix("filename*=UTF-8''")) == "质检报告 (最终版).pdf"
    assert header_value.isascii()


def test_content_disposition_escapes_quotes_and_backslashes_and_can_be_inline():
    """Quotes cannot end the fallback early; inline is for viewing photos in the browser."""
    header_value = content_disposition('say "hi" \\ now.png', inline=True)

    assert header_value.startswith('inline; filename="say \\"hi\\" \\\\ now.png"; ')
    assert urllib.parse.unquote(header_value.split("filename*=UTF-8''")[1]) == 'say "hi" \\ now.png'
    assert "\r" not in content_disposition("a\r\nSet-Cookie: x.pdf") and "\n" not in content_disposition("a\n.pdf")


@pytest.mark.parametrize(
    "stored_name",
    [
        "../x",
        "../../etc/passwd",
        "/etc/passwd",
        "ab/../../x.jpg",
        "ab/" + "a" * 64 + ".jpg",
        "ab/" + "ab" * 32 + ".exe",
        "ab\\" + "ab" * 32 + ".jpg",
        "AB/" + "AB" * 32 + ".jpg",
        "",
    ],
)
def test_resolve_stored_refuses_anything_but_a_stored_name(root, stored_name):
    """Only names of the form shard/sha256.ext can become paths, so a tampered row cannot read other files."""
    with pytest.raises(EvidenceRejected) as refusal:
        resolve_stored(root, stored_name)

    assert refusal.value.reason == "name"


def test_resolve_stored_refuses_a_shard_folder_symlinked_outside_the_root(root, tmp_path):
    """A symlink planted in the upload folder cannot lead a download elsewhere."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "ab").symlink_to(outside, target_is_directory=True)

    with pytest.raises(EvidenceRejected) as refusal:
        resolve_stored(root, "ab/" + "ab" * 32 + ".jpg")

    assert refusal.value.reason == "name"


def test_resolve_stored_follows_a_symlinked_root(root, tmp_path):
    """The root itself may be a symlink to shared storage."""
    stored = store_upload(io.BytesIO(minimal_pdf()), "a.pdf", root, DEFAULT_LIMITS)
    linked_root = tmp_path / "linked"
    linked_root.symlink_to(root, target_is_directory=True)

    assert resolve_stored(linked_root, stored.stored_name).read_bytes() == minimal_pdf()


def test_delete_if_unreferenced_removes_the_file_and_tolerates_a_second_call(root):
    """After a rolled-back upload the caller removes the file; doing it twice is harmless."""
    stored = store_upload(io.BytesIO(minimal_pdf()), "a.pdf", root, DEFAULT_LIMITS)

    delete_if_unreferenced(root, stored.stored_name)
    delete_if_unreferenced(root, stored.stored_name)

    assert not (root / stored.stored_name).exists()
    with pytest.raises(EvidenceRejected):
        delete_if_unreferenced(root, "../" + stored.stored_name)


def test_rejection_reasons_are_the_documented_ones():
    """The web layer translates by reason, so an unknown reason is a programming error."""
    assert EvidenceRejected("type", "x").reason == "type"
    with pytest.raises(ValueError, match="unknown rejection reason"):
        EvidenceRejected("virus", "x")


def test_evidence_module_does_not_import_flask():
    """The file handling stays below the web layer: settings come in as arguments."""
    module_tree = ast.parse(Path(evidence.__file__).read_text(encoding="utf-8"))
    imported_modules = set()
    for node in ast.walk(module_tree):
        if isinstance(node, ast.Import):
            imported_modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported_modules.add((node.module or "").split(".")[0])

    assert not imported_modules & {"flask", "werkzeug"}
