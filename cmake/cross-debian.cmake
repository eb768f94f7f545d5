# What the two ARM toolchain files share: Debian's cross gcc for the
# triple, its multiarch libraries (/usr/lib/TRIPLE, found through
# pkg-config's files there), and qemu-user as the emulator ctest runs the
# tests with. The programs run with the target's multiarch C library
# (libc6:ARCH, which the -dev packages bring): -L / takes its loader,
# /lib/ld-linux-*.so, whose libc is in /lib/TRIPLE. The cross toolchain's
# own copy (/usr/TRIPLE) is a build of another Debian revision: its loader
# with the multiarch libc made every fork()'s child crash (test_crash).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${SAOLA_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${SAOLA_CROSS_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${SAOLA_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH /usr/${SAOLA_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${SAOLA_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_CROSSCOMPILING_EMULATOR ${SAOLA_CROSS_QEMU} -L /)
