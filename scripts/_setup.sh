# Shared by scripts/demo and scripts/test (sourced, not run): find Python >= 3.12, make .venv,
# install Reclaim into it when pyproject.toml changed.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.reclaim-install-stamp"

say() { printf '%s\n' "$*" >&2; }

python_is_new_enough() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

# Candidates in order: python3.12, python3.13, the pyenv version named in .python-version,
# then python3. The first that really runs and is 3.12 or newer wins; nothing older, ever.
find_python() {
  local candidates=() wanted pyenv_root dir
  candidates+=("$(command -v python3.12 || true)" "$(command -v python3.13 || true)")
  if [[ -f "$ROOT/.python-version" ]]; then
    wanted="$(head -n1 "$ROOT/.python-version" | tr -d '[:space:]')"
    if command -v pyenv >/dev/null 2>&1; then
      candidates+=("$(cd "$ROOT" && pyenv which python 2>/dev/null || true)")
    fi
    pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    if [[ -n "$wanted" && -d "$pyenv_root/versions" ]]; then
      for dir in "$pyenv_root/versions/$wanted" "$pyenv_root/versions/$wanted".*; do
        [[ -x "$dir/bin/python" ]] && candidates+=("$dir/bin/python")
      done
    fi
  fi
  candidates+=("$(command -v python3 || true)")
  local candidate
  for candidate in "${candidates[@]}"; do
    if [[ -n "$candidate" ]] && python_is_new_enough "$candidate"; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  local python
  if ! python="$(find_python)"; then
    say "Reclaim needs Python 3.12 or newer; none was found."
    say "Install Python 3.12+ (or select it with pyenv) and run this again."
    exit 3
  fi
  if [[ -x "$VENV/bin/python" ]] && ! python_is_new_enough "$VENV/bin/python"; then
    say "Replacing $VENV: it was made with a Python older than 3.12."
    rm -rf "$VENV"
  fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "Creating $VENV with $("$python" --version 2>&1) ($python)…"
    "$python" -m venv "$VENV"
  fi
  local wanted_stamp
  wanted_stamp="$( (cat "$ROOT/pyproject.toml"; "$VENV/bin/python" --version) | sha256sum | cut -d' ' -f1)"
  if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$wanted_stamp" ]]; then
    say "Installing Reclaim and its development tools into $VENV (first run takes a minute)…"
    "$VENV/bin/python" -m pip install --quiet --quiet -e "$ROOT[dev]"
    printf '%s\n' "$wanted_stamp" >"$STAMP"
  fi
  export PATH="$VENV/bin:$PATH"
}
