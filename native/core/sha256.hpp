// SHA-256 (FIPS 180-4) of a byte range, as lowercase hex: the content id of a model file. Written
// here because the core links no crypto library; SHA-256 because anyone can recompute the id
// (sha256sum, node:crypto) and it is the usual content address of weight files. At a few hundred
// MB/s a model of a few MB hashes in milliseconds, always off the hot path. Plain C++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hawkgraph {

std::string sha256_hex(const uint8_t* bytes, size_t size);

}  // namespace hawkgraph
