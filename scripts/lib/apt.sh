# Sourced by scripts/install.d/*.sh. `apt_install PKG...` installs Debian packages without
# their recommends, as root, waiting up to 10 minutes for dpkg's lock (another install may
# hold it on a shared machine). Does nothing when given no package.
apt_install() {
  [ $# -gt 0 ] || return 0
  echo "installing Debian packages: $*"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: installing $* needs root (apt-get install)" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "$@" >/dev/null
}
