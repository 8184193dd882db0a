#!/usr/bin/env bash
# Installs what edgeai needs from Debian's packages, quietly and only what is missing.
# Safe to run again. Needs root (or sudo) on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  flatbuffers-compiler libflatbuffers-dev
  protobuf-compiler libprotobuf-dev libonnx-dev libonnx-testdata
  libsodium-dev libzstd-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-torch python3-torchvision python3-onnx
  openssl libtorch-dev zlib1g-dev libstb-dev dataset-fashion-mnist libyaml-cpp-dev nlohmann-json3-dev
  libsqlite3-dev libpq-dev postgresql libcpp-httplib-dev
  nodejs chromium
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
