"""What a form reads from a request: text in text inputs, files in file inputs, and never a NUL byte."""

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from werkzeug.datastructures import MultiDict
from wtforms import FieldList
from wtforms import FileField
from wtforms import FormField
from wtforms.i18n import messages_path

#: No browser sends it in text, and PostgreSQL cannot store it in a text column.
NUL = "\x00"
#: What a NUL becomes: the mark werkzeug also puts where a request's bytes are not valid UTF-8.
REPLACEMENT_CHARACTER = "\ufffd"


class WTFormsMessages:
    """WTForms' own messages ("This field is required.") in the page's language.

    Flask-WTF reads the catalog file from disk again on every request that builds a form; this reads it once
    per locale and process.
    """

    def __init__(self) -> None:
        self._by_locale = {}

    def _catalog(self):
        locale = get_locale()
        if locale is None:
            return None
        catalog = self._by_locale.get(locale)
        if catalog is None:
            catalog = self._by_locale[locale] = support.Translations.load(messages_path(), [locale], domain="wtforms")
        return catalog

    def gettext(self, string: str) -> str:
        """One message, translated."""
        catalog = self._catalog()
        return string if catalog is None else catalog.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """A message with a count, translated."""
        catalog = self._catalog()
        if catalog is None:
            return singular if n == 1 else plural
        return catalog.ungettext(singular, plural, n)


WTFORMS_MESSAGES = WTFormsMessages()


class PostedInput:
    """Form options (a WTForms Meta) that give each input only what it can take, whatever the client sent.

    Flask-WTF also reads JSON bodies and files; a JSON number or a file posted under a text input's name would
    otherwise reach validators and services that expect text, and fail there with a 500.
    """

    def get_translations(self, form):
        """WTForms' messages from a catalog read once per locale (Flask-WTF's own setting still turns them off)."""
        if not current_app.config.get("WTF_I18N_ENABLED", True):
            return super().get_translations(form)
        return WTFORMS_MESSAGES

    def wrap_formdata(self, form, formdata):
        """Keep text (a NUL marked unreadable) and files outside text inputs; a JSON body that is no object is empty."""
        try:
            formdata = super().wrap_formdata(form, formdata)
        except (TypeError, ValueError):
            formdata = MultiDict()
        if formdata is None:
            return None
        text_inputs = {field.name for field in form if not isinstance(field, (FileField, FieldList, FormField))}
        kept = MultiDict()
        for name, value in formdata.items(multi=True):
            if isinstance(value, str):
                kept.add(name, value.replace(NUL, REPLACEMENT_CHARACTER))
            elif isinstance(value, FileStorage) and name not in text_inputs:
                kept.add(name, value)
        return kept


class PostedForm(FlaskForm):
    """The base of every form of the app: Flask-WTF's, reading the request through PostedInput."""

    Meta = PostedInput
