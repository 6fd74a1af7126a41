"""Run the ``reporter`` CLI with an audit hook that logs every file opened and every
network call, in this process and in its forked workers.

Usage: ``python tests/audited.py LOG reporter-args...``. Each line of LOG is
``event<TAB>pid<TAB>argument``; the hook writes with ``os.write`` on a descriptor
opened before it is installed, so logging never triggers itself.
"""

from __future__ import annotations

import os
import sys

WATCHED = {"open", "os.listdir", "os.scandir", "shutil.copyfile", "subprocess.Popen", "os.system"}
NETWORK = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"}


def main() -> None:
    log_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event in WATCHED or event in NETWORK:
            target = args[0] if args else ""
            if isinstance(target, bytes):
                target = target.decode("utf-8", "surrogateescape")
            line = f"{event}\t{os.getpid()}\t{target!s}".replace("\n", "\\n") + "\n"
            os.write(log_fd, line.encode("utf-8", "surrogateescape"))

    sys.addaudithook(hook)
    from reporter.cli import main as cli

    sys.argv = ["reporter", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
