# shellcheck shell=bash
# Finds or installs what Vigil needs on a Debian/Ubuntu machine, or stops with a message
# naming what is missing and how to get it. Sourced by ./vigil.

say() { printf 'vigil: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Prints the feature version of a java launcher (17, 21, 25, ...), or nothing.
java_feature() {
  "$1" -XshowSettings:properties -version 2>&1 |
    awk -F'= ' '/java.specification.version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'
}

# Sets JAVA_HOME to a JDK >= 21 (the newest found), installing one with apt when possible.
find_jdk() {
  local best="" best_version=0 candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /opt/jdk* "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    version=$(java_feature "$candidate/bin/java")
    [ -n "$version" ] || continue
    if [ "$version" -ge 21 ] && [ "$version" -gt "$best_version" ]; then
      best="$candidate"; best_version="$version"
    fi
  done
  if [ -z "$best" ] && can_apt; then
    local pkg
    for pkg in openjdk-25-jdk-headless openjdk-21-jdk-headless; do
      if apt_candidate "$pkg"; then
        say "no JDK >= 21 found; installing $pkg"
        apt_install "$pkg"
        find_jdk
        return
      fi
    done
  fi
  [ -n "$best" ] || die "no JDK >= 21 found (the default 'java' may be older).
  Install one: 'apt-get install openjdk-21-jdk-headless' (Ubuntu 24.04, Debian 13) or a
  Temurin/Adoptium JDK 21 or 25, then run again or set JAVA_HOME to it."
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
  JAVA_FEATURE="$best_version"
}

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

APT_UPDATED=""
apt_refresh() {
  if [ -z "$APT_UPDATED" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || say "apt-get update failed; trying with the package lists there are"
    APT_UPDATED=1
  fi
}

apt_candidate() {
  apt_refresh
  local c
  c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  [ -n "$c" ] && [ "$c" != "(none)" ]
}

apt_install() {
  apt_refresh
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    die "apt-get install $* failed"
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
}

# ensure_tools NAME...: each of etcd, etcdctl, postgresql, patroni, setpriv, zstd, wrk, haproxy,
# chromium, chromedriver; installs the
# missing ones with apt when root, else stops naming them and the command that installs them.
ensure_tools() {
  local missing_pkgs=() tool pkg
  for tool in "$@"; do
    case "$tool" in
      etcd) command -v etcd >/dev/null 2>&1 || missing_pkgs+=(etcd-server) ;;
      etcdctl) command -v etcdctl >/dev/null 2>&1 || missing_pkgs+=(etcd-client) ;;
      postgresql) [ -n "$(pg_bindir)" ] || missing_pkgs+=(postgresql) ;;
      patroni) command -v patroni >/dev/null 2>&1 || missing_pkgs+=(patroni) ;;
      setpriv) command -v setpriv >/dev/null 2>&1 || missing_pkgs+=(util-linux) ;;
      wrk) command -v wrk >/dev/null 2>&1 || missing_pkgs+=(wrk) ;;
      haproxy) command -v haproxy >/dev/null 2>&1 || missing_pkgs+=(haproxy) ;;
      # base backups are packed with zstd on every core
      zstd) command -v zstd >/dev/null 2>&1 || missing_pkgs+=(zstd) ;;
      # the console's browser tests: Debian's chromium and its chromedriver, never a download
      chromium) [ -x /usr/bin/chromium ] || missing_pkgs+=(chromium) ;;
      chromedriver) [ -x /usr/bin/chromedriver ] || missing_pkgs+=(chromium-driver) ;;
      kubectl)
        # optional: without it the k8s checks read the base files instead of rendered overlays
        command -v kubectl >/dev/null 2>&1 ||
          say "kubectl not found: the k8s tests check the base files, not rendered overlays (install kubectl to render them)" ;;
    esac
  done
  [ ${#missing_pkgs[@]} -eq 0 ] && return 0
  if can_apt; then
    say "installing ${missing_pkgs[*]} with apt-get"
    apt_install "${missing_pkgs[@]}"
    # Debian's postinst scripts may start a default etcd or PostgreSQL; Vigil uses its own
    # processes on free ports, so those are left alone.
    return 0
  fi
  die "missing: ${missing_pkgs[*]}. Install them with:
  sudo apt-get install ${missing_pkgs[*]}"
}
