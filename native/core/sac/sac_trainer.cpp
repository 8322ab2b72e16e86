#include "sac_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "../error.hpp"
#include "../limits.hpp"
#include "squashed_gaussian.hpp"

namespace hawkgraph::sac {
namespace {

[[noreturn]] void bad_option(const std::string& message) { throw Error("ERR_INVALID_OPTION", message); }

void check_integer(const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) bad_option(std::string(field) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
}

void check_number(const char* field, double v, double lo, double hi, bool open_lo) {
  if (!(std::isfinite(v) && (open_lo ? v > lo : v >= lo) && v <= hi)) {
    bad_option(std::string(field) + " must be a number in " + (open_lo ? "(" : "[") + format_number(lo) + ", " + format_number(hi) + "], got " + format_number(v));
  }
}

// Loss sums over one log interval.
struct LossWindow {
  double critic = 0, actor = 0, alpha = 0, entropy = 0;
  int64_t updates = 0;
  void add(const SacLosses& l) {
    critic += l.critic;
    actor += l.actor;
    alpha += l.alpha;
    entropy += l.entropy;
    ++updates;
  }
  void flush(SacMetrics& m, int64_t step) {
    if (updates == 0) return;
    const double n = static_cast<double>(updates);
    m.log_step.push_back(static_cast<double>(step));
    m.critic_loss.push_back(critic / n);
    m.actor_loss.push_back(actor / n);
    m.alpha.push_back(alpha / n);
    m.entropy.push_back(entropy / n);
    *this = LossWindow{};
  }
};

}  // namespace

void validate_sac_config(const SacConfig& c) {
  using namespace limits;
  check_integer("steps", c.steps, 1, kMaxSacSteps);
  check_integer("batchSize", c.net.batch, 1, kMaxSacBatch);
  check_integer("bufferSize", c.buffer_size, 1, kMaxSacBuffer);
  check_integer("learningStarts", c.learning_starts, 0, kMaxSacSteps);
  check_integer("trainFreq", c.train_freq, 1, kMaxSacSteps);
  check_integer("gradientSteps", c.gradient_steps, 0, kMaxSacGradientSteps);
  check_integer("logInterval", c.log_interval, 1, kMaxSacSteps);
  check_integer("threads", c.threads, 1, kMaxSacThreads);
  check_number("gamma", c.net.gamma, 0, 1, false);
  check_number("tau", c.net.tau, 0, 1, false);
  check_number("learningRate", c.net.lr, 0, kMaxSacLearningRate, true);
  check_number("initialAlpha", c.net.initial_alpha, 0, kMaxSacInitialAlpha, true);
  check_number("targetEntropy", c.net.target_entropy, -kMaxSacTargetEntropy, kMaxSacTargetEntropy, false);
  if (c.net.hidden.empty() || static_cast<int>(c.net.hidden.size()) > kMaxSacHiddenLayers) {
    bad_option("hidden must list 1 to " + std::to_string(kMaxSacHiddenLayers) + " layer widths, got " + std::to_string(c.net.hidden.size()));
  }
  for (size_t i = 0; i < c.net.hidden.size(); ++i) {
    const int w = c.net.hidden[i];
    if (w < 1 || w > kMaxSacHiddenWidth) {
      bad_option("hidden[" + std::to_string(i) + "] must be an integer in [1, " + std::to_string(kMaxSacHiddenWidth) + "], got " + std::to_string(w));
    }
  }
}

SacOutcome train_sac(Env& env, const SacConfig& config, hawkes::SimulateControl* control) {
  validate_sac_config(config);
  SacSettings settings = config.net;
  settings.obs_size = env.observation_size();
  settings.action_size = env.action_size();
  const int o = settings.obs_size, a = settings.action_size;
  SacRng rng(config.seed);
  SacLearner learner(settings, rng);
  TaskPair pair(config.threads);
  ReplayBuffer buffer(std::min(config.buffer_size, config.steps), o, a);
  Minibatch mb(settings.batch, o, a);
  MlpTape act_tape(learner.actor(), 1);
  std::vector<float> obs(static_cast<size_t>(o)), next_obs(obs.size()), action(static_cast<size_t>(a)), eps(action.size());
  float log_prob = 0;
  SacOutcome out{learner.actor(), {}, 0, false};
  LossWindow window;
  uint64_t episode = 0;
  double episode_return = 0;
  env.reset(episode);
  env.observe(obs.data());
  for (int64_t step = 0; step < config.steps; ++step) {
    if (control != nullptr && control->cancel.load(std::memory_order_relaxed)) {
      out.cancelled = true;
      break;
    }
    if (step < config.learning_starts) {
      for (float& v : action) v = static_cast<float>(rng.uniform(-1.0, 1.0));
    } else {
      std::copy(obs.begin(), obs.end(), act_tape.input());
      mlp_forward(learner.actor(), act_tape, 1);
      for (float& e : eps) e = static_cast<float>(rng.normal());
      squash_sample(act_tape.output(), eps.data(), 1, a, action.data(), &log_prob);
    }
    const EnvStep r = env.step(action.data());
    env.observe(next_obs.data());
    buffer.add(obs.data(), action.data(), static_cast<float>(r.reward), next_obs.data(), r.done);
    episode_return += r.reward;
    if (r.done) {
      out.metrics.episode_return.push_back(episode_return);
      out.metrics.episode_end.push_back(static_cast<double>(step));
      episode_return = 0;
      env.reset(++episode);
      env.observe(obs.data());
      if (control != nullptr) control->events_done.fetch_add(1, std::memory_order_relaxed);
    } else {
      std::swap(obs, next_obs);
    }
    if (step + 1 > config.learning_starts && (step + 1) % config.train_freq == 0) {
      for (int64_t g = 0; g < config.gradient_steps; ++g) {
        buffer.sample(rng, mb);
        window.add(learner.update(mb, pair));
      }
    }
    if ((step + 1) % config.log_interval == 0) window.flush(out.metrics, step);
    if (control != nullptr) control->paths_done.fetch_add(1, std::memory_order_relaxed);
    out.steps_done = step + 1;
  }
  window.flush(out.metrics, out.steps_done - 1);
  out.actor = learner.actor();
  return out;
}

}  // namespace hawkgraph::sac
