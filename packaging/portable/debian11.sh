# shellcheck shell=bash
# Debian 11 roots for packaging/build-portable and its test; sourced, not run.
#
# One pristine minimal Debian 11 ("base", debootstrap --variant=minbase from Debian's archive, with its
# security updates) is made once and copied for each root: the build root, or a bare desktop-like root to
# try the executable in. Every .deb is downloaded once into a shared cache. Everything lives under
# $PORTABLE_CACHE (default build/portable of the checkout, which .gitignore covers).
#
# Mounts: every command that runs in a root runs through packaging/portable/enter, in a private mount
# namespace (unshare --mount), so its /proc, /dev/shm and bind mounts exist only there and vanish with
# its last process, whatever ends it: nothing is ever mounted where the host can see it. Build steps
# also get a PID namespace whose init the kernel kills when unshare dies (--kill-child), so killing
# one pid stops every process of the step, and each step dies with the script (even by SIGKILL).
# d11_clear_leftovers still looks for mounts and processes under the cache at start (a root someone
# entered by hand, an older script) and undoes what it can.

PORTABLE_SUITE=bullseye
PORTABLE_MIRROR=${PORTABLE_MIRROR:-http://deb.debian.org/debian}
PORTABLE_SECURITY=${PORTABLE_SECURITY:-http://deb.debian.org/debian-security}
PORTABLE_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORTABLE_CACHE=$(realpath -m "${PORTABLE_CACHE:-$PORTABLE_HERE/../../build/portable}")
PORTABLE_DEBS=$PORTABLE_CACHE/debs
PORTABLE_BASE=$PORTABLE_CACHE/base
# The pid of the step running now (unshare or cp), for the caller's trap to stop it.
PORTABLE_STEP=""

PORTABLE_STARTED=$SECONDS
# Messages go to the stderr the script was started with, also from a trap that fires while a step's
# output is redirected to a log.
exec {PORTABLE_STDERR}>&2
d11_say() { echo "$PORTABLE_NAME: [$((SECONDS - PORTABLE_STARTED)) s] $*" >&"$PORTABLE_STDERR"; }
d11_die() { d11_say "$*"; exit 1; }

d11_require_root() {
    [[ $(id -u) -eq 0 ]] && return
    d11_die "must run as root: it makes a Debian 11 root with debootstrap and builds inside it with" \
        "chroot (try: sudo $0)"
}

# debootstrap from Debian's packages when missing (we are root); unshare, setpriv, flock (util-linux)
# and chroot (coreutils) are in every Debian.
d11_require_tools() {
    command -v debootstrap >/dev/null && return
    d11_say "installing debootstrap with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
        debootstrap >/dev/null ||
        { apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
                --no-install-recommends debootstrap >/dev/null; } ||
        d11_die "could not install debootstrap; install it (apt-get install debootstrap) and run again"
}

# One run at a time per cache: a second one says who holds it instead of waiting.
d11_lock() {
    mkdir -p "$PORTABLE_CACHE"
    exec {PORTABLE_LOCK_FD}>"$PORTABLE_CACHE/lock"
    flock -n "$PORTABLE_LOCK_FD" ||
        d11_die "another build-portable or test is using $PORTABLE_CACHE; wait for it to finish"
}

# Mount points at or under $1 as this process sees them, deepest first.
d11_mounts_under() {
    local top=$1 mountpoint
    while read -r _ _ _ _ mountpoint _; do
        mountpoint=$(printf '%b' "${mountpoint//\\/\\0}")  # mountinfo escapes spaces as \040
        if [[ $mountpoint == "$top" || $mountpoint == "$top"/* ]]; then echo "$mountpoint"; fi
    done </proc/self/mountinfo | sort -r
}

# Processes whose root directory is at or under $1 (a chroot of ours still running), as "pid command".
d11_processes_under() {
    local top=$1 link root
    for link in /proc/[0-9]*/root; do
        root=$(readlink "$link" 2>/dev/null) || continue
        [[ $root == "$top" || $root == "$top"/* ]] && echo "${link:6:-5} $(tr '\0' ' ' <"${link%/root}/cmdline" 2>/dev/null)"
    done
    return 0
}

# Undo what an earlier run that was killed outright (or a root entered by hand) may have left: mounts
# under the cache and half-made folders. Never removes anything while a mount remains under it.
d11_clear_leftovers() {
    local mountpoint left
    while IFS= read -r mountpoint; do
        d11_say "unmounting $mountpoint, left mounted by an earlier run"
        umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" ||
            d11_die "could not unmount $mountpoint; unmount it by hand and run again"
    done < <(d11_mounts_under "$PORTABLE_CACHE")
    left=$(d11_processes_under "$PORTABLE_CACHE")
    [[ -z $left ]] || d11_die "processes of an earlier run still run in $PORTABLE_CACHE: $left"
    [[ -z $(d11_mounts_under "$PORTABLE_CACHE") ]] || d11_die "mounts remain under $PORTABLE_CACHE"
    find "$PORTABLE_CACHE" -maxdepth 1 -name '*.partial' -exec rm -rf --one-file-system {} +
}

# Run "$@" as a step the caller's trap can stop (wait is interrupted by a signal; a foreground
# command would hold the trap back until it ended). The step is killed when this shell dies, even by
# SIGKILL, which no trap sees (and with it, through --kill-child, its namespaces' every process).
d11_step() {
    setpriv --pdeathsig KILL -- "$@" &
    PORTABLE_STEP=$!
    local status=0
    wait "$PORTABLE_STEP" || status=$?
    PORTABLE_STEP=""
    return "$status"
}

# Stop the running step, and with it every process in its namespaces, and wait until none runs in the
# cache: called from the caller's exit trap.
d11_stop() {
    if [[ -n $PORTABLE_STEP ]]; then
        kill -KILL "$PORTABLE_STEP" 2>/dev/null || true
        wait "$PORTABLE_STEP" 2>/dev/null || true
        PORTABLE_STEP=""
    fi
    local deadline=$((SECONDS + 30))
    while [[ -n $(d11_processes_under "$PORTABLE_CACHE") ]] && ((SECONDS < deadline)); do
        sleep 0.2
    done
}

# Run a command inside root $1, in fresh mount and PID namespaces (see the top of this file).
d11_run() {
    local root=$1
    shift
    d11_step "$PORTABLE_HERE/enter" --pid --debs "$PORTABLE_DEBS" "$root" "$@"
}

# A shell function "apt" for d11_run's sh -c scripts: apt-get "$@" in the root, its chatter kept in the
# root's /var/log/imgshare-apt.log and shown only when it fails.
D11_APT='apt() { DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 "$@" >>/var/log/imgshare-apt.log 2>&1 ||
    { tail -n 25 /var/log/imgshare-apt.log >&2; return 1; }; }'

d11_sources() {
    cat <<EOF
deb $PORTABLE_MIRROR $PORTABLE_SUITE main
deb $PORTABLE_MIRROR $PORTABLE_SUITE-updates main
deb $PORTABLE_SECURITY $PORTABLE_SUITE-security main
EOF
}

# The pristine minimal Debian 11 at $PORTABLE_BASE, with its security updates and package lists.
d11_make_base() {
    [[ -f $PORTABLE_BASE/.imgshare-base ]] && return
    local partial=$PORTABLE_BASE.partial
    rm -rf --one-file-system "$PORTABLE_BASE" "$partial"
    mkdir -p "$PORTABLE_DEBS"
    d11_say "making a minimal Debian 11 with debootstrap (once; later runs reuse $PORTABLE_BASE)"
    # debootstrap mounts /proc and /sys in the target itself: in its own mount namespace, as every step.
    d11_step unshare --mount --propagation private --pid --fork --kill-child -- \
        debootstrap --variant=minbase --cache-dir="$PORTABLE_DEBS" "$PORTABLE_SUITE" "$partial" \
        "$PORTABLE_MIRROR" >"$PORTABLE_CACHE/debootstrap.log" 2>&1 ||
        { tail -n 20 "$PORTABLE_CACHE/debootstrap.log" >&2; d11_die "debootstrap failed (log: $PORTABLE_CACHE/debootstrap.log)"; }
    d11_sources >"$partial/etc/apt/sources.list"
    # No services start in a root; apt keeps what it downloads in the shared cache.
    printf '#!/bin/sh\nexit 101\n' >"$partial/usr/sbin/policy-rc.d"
    chmod 755 "$partial/usr/sbin/policy-rc.d"
    d11_run "$partial" sh -c "$D11_APT"'; apt update && apt upgrade' ||
        d11_die "could not bring the Debian 11 base up to date"
    date +%s >"$partial/.imgshare-base"
    mv "$partial" "$PORTABLE_BASE"
}

# A new root at $1: a copy of the base, with the packages "${@:2}" installed from the shared cache (or
# downloaded into it).
d11_make_root() {
    local root=$1
    shift
    d11_make_base
    rm -rf --one-file-system "$root" "$root.partial"
    d11_step cp -a --reflink=auto "$PORTABLE_BASE" "$root.partial"
    rm -f "$root.partial/.imgshare-base"
    if (($#)); then
        d11_install "$root.partial" "$@"
    fi
    mv "$root.partial" "$root"
}

# Install packages "${@:2}" into root $1 (finishing first whatever an interrupted install left).
d11_install() {
    local root=$1
    shift
    # The lists may be older than the mirror, which then no longer has the versions they name.
    d11_run "$root" sh -c "$D11_APT"'; dpkg --configure -a && { apt install --no-install-recommends "$@" ||
        { apt update && apt install --no-install-recommends "$@"; }; }' sh "$@" ||
        d11_die "could not install $* in $root"
}
