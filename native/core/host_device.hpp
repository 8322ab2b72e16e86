// HG_HD marks a function both compilers build: nvcc as __host__ __device__ (the CUDA kernels),
// g++ as a plain inline function (the CPU paths and the GPU-less tests), so the per-element math
// is written once.
#pragma once

#if defined(__CUDACC__)
#define HG_HD __host__ __device__ __forceinline__
#else
#define HG_HD inline
#endif
