# Cross-building for 32-bit ARM phones and tablets (armhf) with Debian's
# cross toolchain and multiarch -dev packages (docs/device.md, "ARM"):
#   cmake -B build-armhf -DCMAKE_TOOLCHAIN_FILE=cmake/arm-linux-gnueabihf.cmake -DSAOLA_SERVER=OFF
# ctest then runs the tests under qemu-user.
set(SAOLA_CROSS_TRIPLE arm-linux-gnueabihf)
set(SAOLA_CROSS_PROCESSOR arm)
set(SAOLA_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/cross-debian.cmake)
