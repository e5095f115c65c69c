"""`python -m bench --scale tiny|small|network [--database URL] [--json OUT] [--load]`."""

from __future__ import annotations

import argparse
import functools
import sys

from . import harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    harness.add_arguments(parser)
    options = vars(parser.parse_args(argv))
    say = functools.partial(print, flush=True)
    workdir = None if options["in_process"] else harness.configure_environment(options)
    try:
        import django

        django.setup()
        if workdir is not None:
            reuse = harness.requested_scale(options) if options.get("reuse") else None
            harness.prepare(say, reuse=reuse)
        results = harness.run(options, write=say)
    finally:
        if workdir is not None:
            from django.db import connections

            connections.close_all()
            workdir.cleanup()
    return 1 if any(item.get("error") for item in results) else 0


if __name__ == "__main__":
    sys.exit(main())
