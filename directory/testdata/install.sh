#!/usr/bin/env bash
# Install the Debian (bookworm) packages the directory integration tests need:
# OpenLDAP slapd + ldap-utils always; Samba AD DC unless SKIP_SAMBA=1.
# Idempotent and quiet: does nothing when everything is already installed.
# samba-ad-provision must be named explicitly (it is only a Recommends of
# samba-ad-dc, and provisioning fails without its schema files).
# Samba's Python tools run on Debian's /usr/bin/python3 (not a pyenv python3).
set -euo pipefail
pkgs=(slapd ldap-utils openssl bc)
if [ "${SKIP_SAMBA:-0}" != 1 ]; then
  pkgs+=(samba samba-ad-dc samba-ad-provision winbind krb5-user python3-samba samba-dsdb-modules samba-vfs-modules)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's slapd package starts nothing in a container, but stop it if it did.
$SUDO systemctl stop slapd >/dev/null 2>&1 || true
echo "installed: ${missing[*]}"
