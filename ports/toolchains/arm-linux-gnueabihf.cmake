# Cross-compiling floe for 32-bit ARMv7 with hardware float (Debian armhf).
set(FLOE_TARGET_TRIPLE arm-linux-gnueabihf)
set(CMAKE_SYSTEM_PROCESSOR arm)
# 64-bit file offsets (off_t, readdir cookies): files past 2 GiB, and directory listings on a
# 64-bit kernel, whose directory cookies (ext4's hashes) do not fit a 32-bit off_t: readdir
# then fails with EOVERFLOW (as under qemu-arm on an x86-64 machine). time_t stays 32-bit:
# Debian 12's armhf libraries are built with it, and it is part of their ABI.
set(CMAKE_C_FLAGS_INIT "-D_FILE_OFFSET_BITS=64")
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
