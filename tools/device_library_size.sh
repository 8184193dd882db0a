#!/usr/bin/env bash
# Builds the device runtime library (libedgeai_device.so: session, kernels, bundle reader,
# graph, core) the way a device build would: MinSizeRel, with the hot kernel code still at -O3
# (src/kernels/CMakeLists.txt), then strips it and prints its size.
#
#   tools/device_library_size.sh            # prints: bytes path
#   BUILD_DIR=build-device tools/device_library_size.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-device}"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DEDGEAI_BUILD_TESTS=OFF > /dev/null
ninja -C "$BUILD_DIR" edgeai_device > /dev/null
strip -o "$BUILD_DIR/libedgeai_device.stripped.so" "$BUILD_DIR/src/runtime/libedgeai_device.so"
# What it links: no libtorch, protobuf or libpq may appear here.
if ldd "$BUILD_DIR/src/runtime/libedgeai_device.so" | grep -Eq 'torch|protobuf|libpq'; then
  echo "device_library_size: the device library links a host-side library:" >&2
  ldd "$BUILD_DIR/src/runtime/libedgeai_device.so" >&2
  exit 1
fi
echo "$(stat -c %s "$BUILD_DIR/libedgeai_device.stripped.so") $BUILD_DIR/libedgeai_device.stripped.so"
