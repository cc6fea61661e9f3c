"""A small native GTK 3 dialog for the desktop forms tests: a contact form with a Save button.

Run with the project's interpreter and the system's gi on PYTHONPATH:
    PYTHONPATH=/usr/lib/python3/dist-packages python gtk_form.py OUT.json
Save writes the values to OUT.json and quits; Cancel quits writing nothing. Some labels name
their entry for accessibility (mnemonic widget), some are only placed beside it, as in real
dialogs.
"""

import json
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk  # noqa: E402


def main(out_path: str) -> None:
    window = Gtk.Window(title="Contact details")
    window.set_default_size(460, 320)
    window.move(40, 40)
    grid = Gtk.Grid(column_spacing=12, row_spacing=8, margin=16)
    window.add(grid)

    def row(index: int, text: str, widget: Gtk.Widget, *, linked: bool) -> None:
        label = Gtk.Label(label=text, xalign=0)
        if linked:
            label.set_mnemonic_widget(widget)
        grid.attach(label, 0, index, 1, 1)
        grid.attach(widget, 1, index, 1, 1)

    name, email, phone = Gtk.Entry(hexpand=True), Gtk.Entry(), Gtk.Entry()
    age = Gtk.SpinButton.new_with_range(0, 130, 1)
    row(0, "Full name", name, linked=True)
    row(1, "E-mail address", email, linked=False)
    row(2, "Telephone", phone, linked=True)
    row(3, "Age", age, linked=True)
    news = Gtk.CheckButton(label="Send me the newsletter")
    grid.attach(news, 1, 4, 1, 1)
    plan_box = Gtk.Box(spacing=12)
    basic = Gtk.RadioButton.new_with_label_from_widget(None, "Basic")
    pro = Gtk.RadioButton.new_with_label_from_widget(basic, "Pro")
    team = Gtk.RadioButton.new_with_label_from_widget(basic, "Team")
    for radio in (basic, pro, team):
        plan_box.pack_start(radio, False, False, 0)
    row(5, "Plan", plan_box, linked=False)
    buttons = Gtk.Box(spacing=8, halign=Gtk.Align.END)
    cancel, save = Gtk.Button(label="Cancel"), Gtk.Button(label="Save")
    buttons.pack_start(cancel, False, False, 0)
    buttons.pack_start(save, False, False, 0)
    grid.attach(buttons, 1, 6, 1, 1)

    def on_save(_button: Gtk.Button) -> None:
        chosen = next(r.get_label() for r in (basic, pro, team) if r.get_active())
        values = {"name": name.get_text(), "email": email.get_text(), "phone": phone.get_text(),
                  "age": age.get_value_as_int(), "newsletter": news.get_active(), "plan": chosen}
        with open(out_path, "w") as handle:
            json.dump(values, handle)
        Gtk.main_quit()

    save.connect("clicked", on_save)
    cancel.connect("clicked", lambda _b: Gtk.main_quit())
    window.connect("destroy", lambda _w: Gtk.main_quit())
    window.show_all()
    Gtk.main()


if __name__ == "__main__":
    main(sys.argv[1])
