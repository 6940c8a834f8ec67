"""Evidence downloads: only through the access check, with the original (Chinese) name and safe headers."""

import io
import re
import urllib.parse

import pytest
from PIL import Image
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_user
from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import Evidence
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.services import filing
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import attach_evidence


def minimal_pdf(text: str = "quality report") -> bytes:
    """A small, well-formed one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>",
    ]
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    document = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(document)
    document += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        document += f"{offset:010d} 00000 n \n".encode()
    document += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(document)


def jpeg_bytes(colour=(30, 120, 200), size=(48, 32)) -> bytes:
    """A small photo as a camera would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def filename_from_disposition(header: str) -> str:
    """The exact name from Content-Disposition's RFC 5987 filename* parameter."""
    match = re.search(r"filename\*=UTF-8''([^;]+)", header)
    assert match, header
    return urllib.parse.unquote(match.group(1), encoding="utf-8", errors="strict")


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """A fresh upload folder for the test, so that what lands on disk can be counted."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


def stored_files(root) -> list:
    """Every file under the upload folder."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def attach(case, uploader, root, content: bytes, name: str) -> Evidence:
    """Put a file on a case directly through the service."""
    evidence = attach_evidence(db.session, root=root, policy=EvidencePolicy(), stream=io.BytesIO(content),
                               original_name=name, uploader=uploader, case=case)
    db.session.flush()
    return evidence


def fetch(client, url: str):
    """GET a URL and close the response (a sent file holds an open handle until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def refusals_of(user) -> int:
    """How many refused accesses were logged for the user."""
    return db.session.scalar(
        select(func.count()).select_from(SecurityEvent).where(
            SecurityEvent.kind == "access_denied", SecurityEvent.user_id == user.id
        )
    )


def test_a_chinese_file_name_survives_upload_and_download(client, login_as, make_case, cast, uploads):
    case = make_case(state="awaiting_information")
    pdf = minimal_pdf()
    login_as(cast.applicant)
    response = client.post(
        f"/cases/{case.number}/supplement",
        data={"version": case.version, "message": "质检报告见附件", "files": [(io.BytesIO(pdf), "质检报告.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    evidence = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)).one()
    assert evidence.original_name == "质检报告.pdf"
    assert evidence.purpose == "supplement"

    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert f'href="/evidence/{evidence.id}"' in page
    assert "质检报告.pdf" in page

    download = fetch(client, f"/evidence/{evidence.id}")
    assert download.status_code == 200
    assert filename_from_disposition(download.headers["Content-Disposition"]) == "质检报告.pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.data == pdf
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox"
    assert download.headers["Cache-Control"] == "private, no-store"


def test_a_photo_is_shown_inline_but_still_sandboxed(client, login_as, make_case, cast, uploads):
    case = make_case(state="under_review")
    evidence = attach(case, cast.applicant, uploads, jpeg_bytes(), "漏电部位.jpg")
    login_as(cast.applicant)
    download = fetch(client, f"/evidence/{evidence.id}")
    assert download.status_code == 200
    assert download.mimetype == "image/jpeg"
    assert download.headers["Content-Disposition"].startswith("inline;")
    assert filename_from_disposition(download.headers["Content-Disposition"]) == "漏电部位.jpg"
    assert download.headers["Content-Security-Policy"] == "sandbox"


def test_another_consumer_cannot_download_and_the_attempt_is_logged(client, login_as, make_case, cast, uploads):
    case = make_case(state="under_review")
    evidence = attach(case, cast.applicant, uploads, minimal_pdf(), "发票.pdf")
    stranger = login_as("consumer")
    response = client.get(f"/evidence/{evidence.id}", environ_base={"REMOTE_ADDR": "198.51.100.23"})
    assert response.status_code == 404
    assert b"%PDF" not in response.data
    assert "Content-Disposition" not in response.headers
    event = db.session.scalars(
        select(SecurityEvent).where(SecurityEvent.user_id == stranger.id, SecurityEvent.kind != "login")
    ).one()
    assert event.kind == "access_denied"
    assert event.target == f"/evidence/{evidence.id}"
    assert event.remote_addr == "198.51.100.23"


def test_the_enterprise_downloads_only_once_the_case_is_accepted(client, login_as, make_case, cast, uploads):
    not_accepted = make_case(state="under_review")
    accepted = make_case(state="enterprise_response")
    hidden = attach(not_accepted, cast.applicant, uploads, minimal_pdf("a"), "a.pdf")
    shown = attach(accepted, cast.applicant, uploads, minimal_pdf("b"), "b.pdf")
    login_as(cast.enterprise_user)
    assert fetch(client, f"/evidence/{hidden.id}").status_code == 404
    assert refusals_of(cast.enterprise_user) == 1
    assert fetch(client, f"/evidence/{shown.id}").status_code == 200


def test_a_visitor_without_an_account_gets_a_logged_404(client, make_case, cast, uploads):
    case = make_case(state="under_review")
    evidence = attach(case, cast.applicant, uploads, minimal_pdf(), "a.pdf")
    response = fetch(client, f"/evidence/{evidence.id}")
    assert response.status_code == 404
    logged = db.session.scalars(select(SecurityEvent).where(SecurityEvent.target == f"/evidence/{evidence.id}")).one()
    assert logged.user_id is None


def test_a_missing_file_or_row_is_a_404_never_a_500(client, login_as, make_case, cast, uploads):
    case = make_case(state="under_review")
    evidence = attach(case, cast.applicant, uploads, minimal_pdf(), "a.pdf")
    for path in stored_files(uploads):
        path.unlink()
    login_as(cast.applicant)
    assert fetch(client, f"/evidence/{evidence.id}").status_code == 404
    assert fetch(client, "/evidence/999999999").status_code == 404
    assert fetch(client, "/evidence/not-a-number").status_code == 404
    assert fetch(client, f"/evidence/{2**31}").status_code == 404
    assert fetch(client, f"/evidence/{10**30}").status_code == 404


def test_draft_files_are_their_filers_alone(client, login_as, uploads):
    filer = gen_user(Role.CONSUMER)
    draft = filing.start_draft(db.session, CaseKind.COMPLAINT, filer, None)
    db.session.flush()
    evidence = attach_evidence(db.session, root=uploads, policy=EvidencePolicy(), stream=io.BytesIO(jpeg_bytes()),
                               original_name="草稿照片.jpg", uploader=filer, draft=draft)
    db.session.flush()
    login_as(filer)
    assert fetch(client, f"/evidence/{evidence.id}").status_code == 200
    client.post("/logout")
    login_as("consumer")
    assert fetch(client, f"/evidence/{evidence.id}").status_code == 404


def test_staff_download_every_case_file(client, login_as, make_case, cast, uploads):
    case = make_case(state="under_review")
    evidence = attach(case, cast.applicant, uploads, minimal_pdf(), "a.pdf")
    login_as(cast.officer)
    assert fetch(client, f"/evidence/{evidence.id}").status_code == 200
