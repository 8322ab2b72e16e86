// SHA-256 (FIPS 180-4) of a byte range, as lowercase hex: the content id of a model file. Written
// here because the core links no crypto library; SHA-256 because anyone can recompute the id
// (sha256sum, node:crypto) and it is the usual content address of weight files. With the x86 SHA
// extensions it runs at about 2 GB/s (sha256_blocks.hpp), portable C++ at about 250 MB/s: a swap
// hashes its file while the stream runs, so the hash is CPU the stream's threads compete with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hawkgraph {

std::string sha256_hex(const uint8_t* bytes, size_t size);

}  // namespace hawkgraph
