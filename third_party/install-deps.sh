#!/usr/bin/env bash
# Installs the suite's build and test dependencies from Debian's packages.
# Idempotent: packages already present are skipped, so running it twice is cheap.
set -euo pipefail

packages=(
  cmake ninja-build g++            # build
  libgtest-dev libgmock-dev        # GoogleTest (tests and fixtures)
  libboost-dev                     # Boost.Asio, Boost.Process (headers)
  libboost-filesystem-dev          # Boost.Process 1.74 links Boost.Filesystem
  libboost-program-options-dev     # command lines of the worker and operator tools
  rapidjson-dev                    # JSON of the external channel
  libfmt-dev                       # formatting of logs and reports
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
