# Cross-compiling floe for 64-bit ARM (Debian arm64), e.g. Raspberry Pi 3/4/5 with a 64-bit OS.
set(FLOE_TARGET_TRIPLE aarch64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
