# Cross-building for 64-bit ARM phones and tablets (aarch64) with Debian's
# cross toolchain and multiarch -dev packages (docs/device.md, "ARM"):
#   cmake -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DSAOLA_SERVER=OFF
# ctest then runs the tests under qemu-user.
set(SAOLA_CROSS_TRIPLE aarch64-linux-gnu)
set(SAOLA_CROSS_PROCESSOR aarch64)
set(SAOLA_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-debian.cmake)
