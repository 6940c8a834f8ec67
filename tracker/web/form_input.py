"""What a form reads from a request: text in text inputs, files in file inputs, and never a NUL byte."""

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from werkzeug.datastructures import MultiDict
from wtforms import FieldList
from wtforms import FileField
from wtforms import FormField

#: No browser sends it in text, and PostgreSQL cannot store it in a text column.
NUL = "\x00"
#: What a NUL becomes: the mark werkzeug also puts where a request's bytes are not valid UTF-8.
REPLACEMENT_CHARACTER = "\ufffd"


class PostedInput:
    """Form options (a WTForms Meta) that give each input only what it can take, whatever the client sent.

    Flask-WTF also reads JSON bodies and files; a JSON number or a file posted under a text input's name would
    otherwise reach validators and services that expect text, and fail there with a 500.
    """

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
