#!/usr/bin/env bash
# Installs the Debian packages subctl needs that are missing; idempotent.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libpqxx-dev libfmt-dev catch2 libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  postgresql-15 postgresql-client-15 postgresql-15-pgtap pgtap postgresql-15-plpgsql-check
)
[ -n "${SUBCTL_EXTRA_PACKAGES:-}" ] && read -r -a extra <<<"$SUBCTL_EXTRA_PACKAGES" && packages+=("${extra[@]}")
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
