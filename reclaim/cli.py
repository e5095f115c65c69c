"""The `reclaim` console command: Django's management commands, with `reclaim demo` able to
set itself up on a fresh machine (generated demo secrets kept in reclaim-demo.env)."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

DEMO_ENV_FILE = "reclaim-demo.env"


def data_dir() -> Path:
    return Path(os.environ.get("RECLAIM_DATA_DIR", os.getcwd()))


def load_demo_environment() -> None:
    """Opt into demo relaxations and reuse (or create) the demo's own secrets."""
    from reclaim.core.crypto import generate_master_key_entry

    os.environ["RECLAIM_DEMO"] = "1"
    env_file = data_dir() / DEMO_ENV_FILE
    if not env_file.exists():
        env_file.write_text(
            f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"RECLAIM_MASTER_KEY={generate_master_key_entry(1)}\n"
        )
        env_file.chmod(0o600)
    for line in env_file.read_text().splitlines():
        name, _, value = line.partition("=")
        if name and value:
            os.environ.setdefault(name.strip(), value.strip())


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1:
        # `reclaim erase-survivor` runs the Django command erase_survivor.
        argv[1] = argv[1].replace("-", "_") if not argv[1].startswith("-") else argv[1]
    if len(argv) > 1 and argv[1] == "bench" and "--in-process" not in argv:
        # The benchmark makes its own databases and synthetic-only keys before Django starts.
        from bench.__main__ import main as run_benchmark

        sys.exit(run_benchmark(argv[2:]))
    if len(argv) > 1 and (argv[1] == "demo" or os.environ.get("RECLAIM_DEMO") == "1"):
        load_demo_environment()
    if (
        len(argv) > 1
        and argv[1] == "makemigrations"
        and not (os.environ.get("DJANGO_SECRET_KEY") or os.environ.get("DJANGO_SECRET_KEY_FILE"))
    ):
        # Writing or checking migrations reads the models only and signs nothing, so a
        # developer (or a pre-commit check) needs no production secret for it.
        os.environ["DJANGO_SECRET_KEY"] = "makemigrations-only-" + secrets.token_urlsafe(32)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reclaim.settings")
    from django.core.management import execute_from_command_line

    if (
        len(argv) > 1
        and argv[1] == "migrate"
        and not any(arg.startswith("--database") for arg in argv)
    ):
        # Both databases, so nobody forgets the keystore.
        execute_from_command_line([*argv, "--database", "default"])
        execute_from_command_line([*argv, "--database", "keystore"])
        return
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
