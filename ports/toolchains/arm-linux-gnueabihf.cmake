# Cross-compiling floe for 32-bit ARMv7 with hardware float (Debian armhf).
set(FLOE_TARGET_TRIPLE arm-linux-gnueabihf)
set(CMAKE_SYSTEM_PROCESSOR arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
