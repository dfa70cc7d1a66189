"""Form widgets shared by every app's pages."""

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker: its value is ISO whatever the language (a localised 2026/12/02 shows empty)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
