// The CPU inference backend: weights packed once at creation, every activation buffer sized for
// the model's full depth up front, so forward() allocates nothing.
#pragma once

#include <memory>

#include "../backend.hpp"

namespace hawkgraph {

std::unique_ptr<InferenceBackend> make_cpu_backend(const GnnModel& model);

}  // namespace hawkgraph
