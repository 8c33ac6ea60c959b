# Shared by the toolchain files of this directory: cross-compiling with Debian's cross
# compilers and multiarch -dev packages (installed by tools/cross). The including file sets
# FLOE_TARGET_TRIPLE and CMAKE_SYSTEM_PROCESSOR. Compilers are found on PATH by the triple;
# libraries and headers come from Debian's multiarch directories of the triple, through
# pkg-config.
set(CMAKE_SYSTEM_NAME Linux)

set(CMAKE_C_COMPILER ${FLOE_TARGET_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${FLOE_TARGET_TRIPLE}-g++)

# pkg-config looks at the target's .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${FLOE_TARGET_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Libraries and headers of the target; programs (cmake, python, node) of the build machine.
set(CMAKE_LIBRARY_ARCHITECTURE ${FLOE_TARGET_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
