#!/bin/sh
# Installs what gpuxc needs to build and test, when it is missing:
#   Debian packages (apt-get; as root, or through sudo), and
#   the Python test packages pinned in requirements.txt, into .venv/.
# Safe to run again: it only installs what is missing.
set -eu
cd "$(dirname "$0")/.."

PKGS="make gcc clang libc6-dev binutils cmake pkg-config libprotobuf-c-dev protobuf-c-compiler
      libyaml-dev python3"

apt_install() {
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "bootstrap: installing Debian packages: $*"
  if [ -z "${BOOTSTRAP_UPDATED:-}" ]; then
    $SUDO apt-get update -q
    BOOTSTRAP_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "$@"
}

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done
# shellcheck disable=SC2086
[ -z "$missing" ] || apt_install $missing

# The test packages, pinned, in a virtual environment of the repository.
stamp=.venv/.requirements
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt "$stamp"; then
  rm -rf .venv
  if ! python3 -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    apt_install python3-venv
    python3 -m venv .venv
  fi
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
fi
