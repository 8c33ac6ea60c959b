# Shared by the toolchain files of this directory: cross-compiling with Debian's cross
# compilers and multiarch -dev packages (installed by tools/cross). The including file sets
# FLOE_TARGET_TRIPLE and CMAKE_SYSTEM_PROCESSOR. Compilers are found on PATH by the triple;
# libraries and headers come from Debian's multiarch directories of the triple, through
# pkg-config: on this machine (multiarch -dev packages), or with -DCMAKE_SYSROOT=DIR in DIR, a
# tree of the target's unpacked packages (tools/cross armhf), searched alone.
set(CMAKE_SYSTEM_NAME Linux)

set(CMAKE_C_COMPILER ${FLOE_TARGET_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${FLOE_TARGET_TRIPLE}-g++)

# pkg-config looks at the target's .pc files only.
if(CMAKE_SYSROOT)
  set(ENV{PKG_CONFIG_LIBDIR}
      "${CMAKE_SYSROOT}/usr/lib/${FLOE_TARGET_TRIPLE}/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${FLOE_TARGET_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")

# Libraries and headers of the target; programs (cmake, python, node) of the build machine.
set(CMAKE_LIBRARY_ARCHITECTURE ${FLOE_TARGET_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
