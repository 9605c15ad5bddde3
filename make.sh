#!/bin/sh
# Entry point for a fresh machine: installs what is missing (even make itself),
# then runs make with the given targets. `./make.sh demo`, `./make.sh test`.
set -eu
cd "$(dirname "$0")"
./scripts/bootstrap.sh
exec make "$@"
