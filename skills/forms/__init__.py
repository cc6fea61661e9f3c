"""Form workflows: fill a web form (DOM over CDP) or a desktop dialog (accessibility tree).

The program owns the page sequence and the field iteration; code decides every value it can
(`choose_value`), a model is asked only for what needs judgment, each page is one `fill_page`
step plus one Next/Submit step, every value is read back, and submitting needs consent.
"""

from skills.forms.fields import FormField, FormPage
from skills.forms.filling import fill_form
from skills.forms.mapping import Decision, choose_value
from skills.forms.outcome import FieldOutcome, FillReport
from skills.forms.skill import run_forms

__all__ = [
    "Decision",
    "FieldOutcome",
    "FillReport",
    "FormField",
    "FormPage",
    "choose_value",
    "fill_form",
    "run_forms",
]
