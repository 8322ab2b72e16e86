// SHA-256's compression over whole 64-byte blocks, in two builds: portable C++ and the x86 SHA
// extensions (sha256rnds2, about 10x faster; Intel since Ice Lake, AMD since Zen). sha256.cpp
// picks one per call from cpuid; $HAWKGRAPH_CPU_KERNELS=portable forces the portable one, as it
// does for the kernel tables, so tests can compare the two.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hawkgraph {

void sha256_blocks_portable(uint32_t state[8], const uint8_t* blocks, size_t count);

// False where the compiler lacked -msha (the function is then a stub never chosen).
bool sha256_shani_built();
void sha256_blocks_shani(uint32_t state[8], const uint8_t* blocks, size_t count);

}  // namespace hawkgraph
