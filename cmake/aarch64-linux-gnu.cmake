# CMake toolchain file: cross-compile for AArch64 Linux with Debian's g++-aarch64-linux-gnu and
# run the results (try_run, add_test, ctest) under qemu-user-static.
#   apt-get install g++-aarch64-linux-gnu qemu-user-static
#   cmake -S cmake/aarch64-kernels -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(EDGEAI_AARCH64_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${EDGEAI_AARCH64_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${EDGEAI_AARCH64_TRIPLE}-g++)

# The target's libraries and headers (libc6-dev-arm64-cross, libstdc++-12-dev-arm64-cross).
set(EDGEAI_AARCH64_SYSROOT /usr/${EDGEAI_AARCH64_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${EDGEAI_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# qemu-aarch64-static finds the AArch64 dynamic loader and libraries under -L.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L ${EDGEAI_AARCH64_SYSROOT})
