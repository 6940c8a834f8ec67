"""The Chinese catalog is complete: every string the code and templates can show has a reviewed translation."""

import contextlib
import io
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "tracker" / "translations"
TEMPLATE_PATH = TRANSLATIONS / "messages.pot"
CATALOG_PATH = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, locale: str | None = None):
    """Parse a .po or .pot file."""
    with path.open("rb") as catalog_file:
        return read_po(catalog_file, locale=locale)


def message_ids(catalog) -> set:
    """Every msgid of a catalog except the header."""
    return {message.id for message in catalog if message.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """What `pybabel extract` finds in the code and templates right now, with the project's own options."""
    output = tmp_path_factory.mktemp("babel") / "current.pot"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        CommandLineInterface().run(
            [
                "pybabel",
                "--quiet",
                "extract",
                "-F",
                str(ROOT / "babel.cfg"),
                "-k",
                "_l",
                "-k",
                "lazy_gettext",
                "--ignore-dirs",
                ".* __pycache__",
                "-o",
                str(output),
                str(ROOT),
            ]
        )
    return message_ids(read_catalog(output))


@pytest.fixture(scope="module")
def chinese():
    """The Simplified Chinese catalog."""
    return read_catalog(CATALOG_PATH, locale="zh")


def test_extraction_finds_the_workflow_labels(extracted):
    workflow_labels = {
        "Start acceptance review",
        "Acceptance review",
        "Decide to accept or refuse",
        "Outside our remit or jurisdiction",
    }
    assert workflow_labels <= extracted


def test_the_template_holds_every_extractable_message(extracted):
    missing = extracted - message_ids(read_catalog(TEMPLATE_PATH))
    assert not missing, f"run the extract command in the README; missing from messages.pot: {sorted(missing)}"


def test_the_chinese_catalog_holds_every_extractable_message(extracted, chinese):
    missing = extracted - message_ids(chinese)
    assert not missing, f"run pybabel update and translate: {sorted(missing)}"


def test_every_chinese_entry_is_translated_and_reviewed(chinese):
    untranslated = [message.id for message in chinese if message.id and not message.string]
    fuzzy = [message.id for message in chinese if message.id and message.fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert not chinese.fuzzy, "the catalog header is marked fuzzy"


def test_placeholders_survive_translation(chinese):
    problems = [(message.id, [str(error) for error in errors]) for message, errors in chinese.check() if errors]
    assert not problems


def test_translations_are_chinese(chinese):
    latin_only = [
        message.id
        for message in chinese
        if message.id and not any("\u4e00" <= char <= "\u9fff" for char in message.string)
    ]
    assert not latin_only, f"these entries do not look translated: {latin_only}"
