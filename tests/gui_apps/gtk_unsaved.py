"""A native GTK 3 "unsaved changes" alert for the gate tests, as an editor shows on close.

Run with the project's interpreter and the system's gi on PYTHONPATH:
    PYTHONPATH=/usr/lib/python3/dist-packages python gtk_unsaved.py OUT.txt
The buttons are "Close _without Saving", "_Cancel" and "_Save" (mnemonics, as gedit has them);
the one pressed is written to OUT.txt ("discarded", "cancelled", "saved") and the program quits.
"""

import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk  # noqa: E402

ANSWERS = {1: "discarded", 2: "cancelled", 3: "saved"}


def main(out_path: str) -> None:
    dialog = Gtk.MessageDialog(modal=True, message_type=Gtk.MessageType.WARNING,
                               text="Save changes to “notes.txt” before closing?",
                               secondary_text="If you don’t save, your changes will be lost.")
    dialog.add_buttons("Close _without Saving", 1, "_Cancel", 2, "_Save", 3)
    dialog.set_default_response(3)
    dialog.move(200, 200)
    response = dialog.run()
    if response in ANSWERS:
        with open(out_path, "w", encoding="utf-8") as out:
            out.write(ANSWERS[response])
    dialog.destroy()


if __name__ == "__main__":
    main(sys.argv[1])
