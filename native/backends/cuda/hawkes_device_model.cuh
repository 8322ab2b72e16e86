// The Hawkes model's tables on the device, shared by the simulation and the backtest kernels:
// a checked device array, and the model packed into two arrays (doubles, ints) with a
// HawkesTables of device pointers into them.
#pragma once

#include <cuda_runtime.h>

#include <utility>
#include <vector>

#include "../../core/hawkes/hawkes_model.hpp"
#include "cuda_check.cuh"

namespace hawkgraph::cuda {

using hawkes::HawkesTables;

template <typename T>
struct DeviceArray {
  T* ptr = nullptr;
  size_t count = 0;
  DeviceArray() = default;
  explicit DeviceArray(size_t n) : count(n) {
    if (n > 0) CUDA_CHECK(cudaMalloc(&ptr, sizeof(T) * n));
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray& operator=(DeviceArray&& other) noexcept {
    std::swap(ptr, other.ptr);
    std::swap(count, other.count);
    return *this;
  }
  ~DeviceArray() {
    if (ptr) cudaFree(ptr);
  }
  void upload(const T* src, size_t n) {
    if (n > 0) CUDA_CHECK(cudaMemcpy(ptr, src, sizeof(T) * n, cudaMemcpyHostToDevice));
  }
  void download(T* dst, size_t n) const {
    if (n > 0) CUDA_CHECK(cudaMemcpy(dst, ptr, sizeof(T) * n, cudaMemcpyDeviceToHost));
  }
};

// Every pointer of HawkesTables must be remapped below; a new field changes the size and stops
// the build here until it is.
static_assert(sizeof(HawkesTables) == 4 * sizeof(int) + sizeof(double) + 17 * sizeof(void*),
              "HawkesTables changed: update DeviceModel");

// The model's tables in two device arrays (doubles, ints) and a HawkesTables of device pointers.
struct DeviceModel {
  DeviceArray<double> reals;
  DeviceArray<int> ints;
  HawkesTables tables{};

  explicit DeviceModel(const hawkes::HawkesModel& m) {
    std::vector<double> r;
    std::vector<int> n;
    std::vector<size_t> roff, ioff;
    auto put_r = [&](const std::vector<double>& v) { roff.push_back(r.size()); r.insert(r.end(), v.begin(), v.end()); };
    auto put_i = [&](const std::vector<int>& v) { ioff.push_back(n.size()); n.insert(n.end(), v.begin(), v.end()); };
    put_r(m.mu);
    put_r(m.mu_cdf);
    put_r(m.group_beta);
    put_r(m.exc_alpha);
    put_r(m.exc_dense);
    put_r(m.mass_g);
    put_r(m.mass_q);
    put_r(m.mass_inv_q);
    put_i(m.comp_group);
    put_i(m.comp_dim);
    put_i(m.dim_comp_begin);
    put_i(m.group_comp_begin);
    put_i(m.group_comps);
    put_i(m.exc_begin);
    put_i(m.exc_comp);
    put_i(m.mass_begin);
    put_i(m.mass_group);
    reals = DeviceArray<double>(r.size());
    ints = DeviceArray<int>(n.size());
    reals.upload(r.data(), r.size());
    ints.upload(n.data(), n.size());
    tables = m.tables();
    const double* R = reals.ptr;
    const int* I = ints.ptr;
    tables.mu = R + roff[0];
    tables.mu_cdf = R + roff[1];
    tables.group_beta = R + roff[2];
    tables.exc_alpha = R + roff[3];
    tables.exc_dense = m.exc_dense.empty() ? nullptr : R + roff[4];
    tables.mass_g = R + roff[5];
    tables.mass_q = R + roff[6];
    tables.mass_inv_q = R + roff[7];
    tables.comp_group = I + ioff[0];
    tables.comp_dim = I + ioff[1];
    tables.dim_comp_begin = I + ioff[2];
    tables.group_comp_begin = I + ioff[3];
    tables.group_comps = I + ioff[4];
    tables.exc_begin = I + ioff[5];
    tables.exc_comp = I + ioff[6];
    tables.mass_begin = I + ioff[7];
    tables.mass_group = I + ioff[8];
  }
};

}  // namespace hawkgraph::cuda
