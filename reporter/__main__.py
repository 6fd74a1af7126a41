"""Turn ``python -m reporter`` into the ``reporter`` command."""

from reporter.cli import main

if __name__ == "__main__":
    main(prog_name="reporter")
