"""``python -m nn``: the ``chainrule`` command (see ``nn/cli.py``)."""

from .cli import run

if __name__ == "__main__":
    run()
