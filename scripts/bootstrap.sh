#!/bin/sh
# Installs what gpuxc needs to build and test, when it is missing:
#   Debian packages (apt-get; as root, or through sudo), and
#   the Python test packages pinned in requirements.txt, into .venv/.
# Safe to run again: it only installs what is missing.
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler libyaml-dev python3"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  missing="$missing python3-venv"
fi

if [ -n "$missing" ]; then
  echo "bootstrap: installing Debian packages:$missing"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# The test packages, pinned, in a virtual environment of the repository.
stamp=.venv/.requirements
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt "$stamp"; then
  echo "bootstrap: installing Python packages into .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
fi
