"""Turn ``python -m reporter`` into the ``reporter`` command."""

from reporter.cli import run

if __name__ == "__main__":
    run()
