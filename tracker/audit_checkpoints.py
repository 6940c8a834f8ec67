"""Signed checkpoints of every chain's head, kept outside the database, so that a rewritten chain is noticed.

The hash chain shows an edit only while its head is trusted: someone who may drop the triggers can rewrite a
whole chain and the case's head hash with it. A checkpoint signs (Ed25519, the key in a file outside the
database) the sequence number and hash of every chain's newest event, and is appended to a file outside the
database; a chain that no longer holds the signed event at the signed position has been rewritten.
"""

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit import canonical_json
from tracker.models import AuditEvent
from tracker.models import Case

CHECKPOINT_FILE = "checkpoints.jsonl"


class CheckpointError(RuntimeError):
    """No usable key or checkpoint: the message says what to do."""


def generate_signing_key(path: Path) -> Ed25519PublicKey:
    """Write a new private key (PEM, mode 0600); never overwrites one, as old checkpoints need the old key."""
    if path.exists():
        raise CheckpointError(f"{path} exists; keep it (earlier checkpoints are signed with it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(pem)
    return key.public_key()


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key from its PEM file."""
    if not path.exists():
        raise CheckpointError(f"no signing key at {path}; create one with `flask tracker audit-keygen`")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 private key")
    return key


def chain_heads(session: Session) -> dict[str, dict[str, object]]:
    """case number -> {"seq", "hash"} of its newest event, read from the events themselves."""
    newest = (
        select(AuditEvent.case_id, func.max(AuditEvent.seq).label("seq")).group_by(AuditEvent.case_id).subquery()
    )
    rows = session.execute(
        select(Case.number, AuditEvent.seq, AuditEvent.hash)
        .join(newest, (newest.c.case_id == AuditEvent.case_id) & (newest.c.seq == AuditEvent.seq))
        .join(Case, Case.id == AuditEvent.case_id)
        .order_by(Case.id)
    )
    return {number: {"seq": seq, "hash": head_hash} for number, seq, head_hash in rows}


@dataclass(frozen=True)
class Checkpoint:
    """What was signed: when, and every chain's head then."""

    created_at: str
    heads: dict[str, dict[str, object]]


def write_checkpoint(session: Session, key: Ed25519PrivateKey, directory: Path, *, now: datetime) -> Path:
    """Sign the current heads and append the checkpoint as one JSON line; returns the file written."""
    payload = canonical_json({"created_at": now.isoformat(), "heads": chain_heads(session)})
    entry = {
        "payload": payload,
        "signature": base64.b64encode(key.sign(payload.encode())).decode(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CHECKPOINT_FILE
    with path.open("a", encoding="utf-8") as checkpoint_file:
        checkpoint_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        checkpoint_file.flush()
        os.fsync(checkpoint_file.fileno())
    return path


def latest_checkpoint(directory: Path, public_key: Ed25519PublicKey) -> Checkpoint | None:
    """The newest checkpoint in the file, after checking its signature (None when none was written yet)."""
    path = directory / CHECKPOINT_FILE
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return None
    try:
        entry = json.loads(lines[-1])
        public_key.verify(base64.b64decode(entry["signature"]), entry["payload"].encode())
        payload = json.loads(entry["payload"])
    except (ValueError, KeyError, TypeError, InvalidSignature) as error:
        raise CheckpointError(f"the latest checkpoint in {path} does not verify with the signing key") from error
    return Checkpoint(created_at=payload["created_at"], heads=payload["heads"])


def chains_departing_from(session: Session, checkpoint: Checkpoint) -> list[tuple[str, str]]:
    """(case number, reason) for every signed chain that no longer holds its signed head at the signed position."""
    departures = []
    signed_numbers = list(checkpoint.heads)
    for start in range(0, len(signed_numbers), 2000):
        chunk = signed_numbers[start : start + 2000]
        stored = {
            (number, seq): event_hash
            for number, seq, event_hash in session.execute(
                select(Case.number, AuditEvent.seq, AuditEvent.hash)
                .join(Case, Case.id == AuditEvent.case_id)
                .where(Case.number.in_(chunk))
            )
        }
        for number in chunk:
            head = checkpoint.heads[number]
            found = stored.get((number, head["seq"]))
            if found is None:
                departures.append((number, f"event #{head['seq']} signed at {checkpoint.created_at} is gone"))
            elif found != head["hash"]:
                departures.append(
                    (number, f"event #{head['seq']} differs from the one signed at {checkpoint.created_at}")
                )
    return departures
