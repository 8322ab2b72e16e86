// Writes a trained actor as the policy file runBacktest({ strategy: { policy } }) runs
// (backtest::load_policy): its hidden layers and the mean rows of its head as layers.<i>.weight
// [out, in] and layers.<i>.bias (F32), and in the metadata the input normalisation and the
// action mapping, output_activation "tanh". Plain C++.
#pragma once

#include <cstdint>
#include <vector>

#include "lob_env.hpp"
#include "mlp.hpp"

namespace hawkgraph::sac {

// The actor's deterministic action tanh(mean) as offsets: tanh(.) * scale + offset.
std::vector<uint8_t> export_policy(const Mlp& actor, const LobNormalisation& norm, double action_scale, double action_offset);

}  // namespace hawkgraph::sac
