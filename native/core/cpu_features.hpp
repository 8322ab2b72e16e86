// What the CPU this process runs on can do, read once via cpuid (x86-64) for kernel dispatch
// and for runtime() reports. On other architectures every x86 flag is false.
#pragma once

#include <string>

namespace hawkgraph {

struct CpuFeatures {
  std::string arch;   // "x64", "arm64", ...
  std::string model;  // brand string where the CPU reports one
  bool sse42 = false;
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512dq = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512fp16 = false;
  bool avx512bf16 = false;
  bool sha = false;  // the SHA extensions (sha256rnds2), with the SSSE3 and SSE4.1 their code needs
};

const CpuFeatures& cpu_features();

}  // namespace hawkgraph
