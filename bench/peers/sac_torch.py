#!/usr/bin/env python3
"""The benchmark's PyTorch peer for SAC: one gradient update exactly as stable-baselines3's
SAC.train does it (squashed-Gaussian actor, twin critics with Polyak-averaged targets, automatic
entropy tuning, Adam), on the networks trainPolicy trains (2 x 64 ReLU, observation 3, action 2),
batch 512, float32 on the CPU, minibatches drawn from a preallocated replay buffer of random
transitions. The environment is left out: this is the update a researcher would run in PyTorch.

Usage: sac_torch.py UPDATES THREADS [BATCH]
Prints one JSON object: { torch, threads, batch, updates, seconds, updatesPerSecond, criticLoss }."""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

OBS, ACT, HIDDEN, BUFFER = 3, 2, 64, 100_000
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


def mlp(n_in, n_out):
    return nn.Sequential(nn.Linear(n_in, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, n_out))


class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = mlp(OBS, 2 * ACT)

    def sample(self, obs):
        head = self.net(obs)
        mean, log_std = head[:, :ACT], head[:, ACT:].clamp(LOG_STD_MIN, LOG_STD_MAX)
        std = log_std.exp()
        u = mean + std * torch.randn_like(mean)
        a = torch.tanh(u)
        normal = -0.5 * ((u - mean) / std) ** 2 - log_std - 0.5 * torch.log(torch.tensor(2 * torch.pi))
        log_prob = normal.sum(1) - torch.log(1 - a ** 2 + 1e-6).sum(1)
        return a, log_prob


def main():
    updates, threads = int(sys.argv[1]), int(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    actor = Actor()
    critics = nn.ModuleList([mlp(OBS + ACT, 1), mlp(OBS + ACT, 1)])
    targets = nn.ModuleList([mlp(OBS + ACT, 1), mlp(OBS + ACT, 1)])
    targets.load_state_dict(critics.state_dict())
    log_alpha = torch.zeros(1, requires_grad=True)
    actor_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    critic_opt = torch.optim.Adam(critics.parameters(), lr=3e-4)
    alpha_opt = torch.optim.Adam([log_alpha], lr=3e-4)
    gamma, tau, target_entropy = 1.0, 0.005, -float(ACT)
    obs_b, act_b = torch.randn(BUFFER, OBS), torch.rand(BUFFER, ACT) * 2 - 1
    rew_b, next_b, done_b = torch.randn(BUFFER, 1), torch.randn(BUFFER, OBS), (torch.rand(BUFFER, 1) < 0.01).float()

    def update():
        idx = torch.randint(0, BUFFER, (batch,))
        obs, act, rew, nxt, done = obs_b[idx], act_b[idx], rew_b[idx], next_b[idx], done_b[idx]
        a_pi, logp = actor.sample(obs)
        alpha = log_alpha.detach().exp()
        alpha_loss = -(log_alpha * (logp + target_entropy).detach()).mean()
        alpha_opt.zero_grad()
        alpha_loss.backward()
        alpha_opt.step()
        with torch.no_grad():
            a_next, logp_next = actor.sample(nxt)
            x = torch.cat([nxt, a_next], 1)
            q_next = torch.min(targets[0](x), targets[1](x)) - alpha * logp_next.unsqueeze(1)
            y = rew + (1 - done) * gamma * q_next
        x = torch.cat([obs, act], 1)
        critic_loss = 0.5 * sum(F.mse_loss(c(x), y) for c in critics)
        critic_opt.zero_grad()
        critic_loss.backward()
        critic_opt.step()
        x = torch.cat([obs, a_pi], 1)
        actor_loss = (alpha * logp.unsqueeze(1) - torch.min(critics[0](x), critics[1](x))).mean()
        actor_opt.zero_grad()
        actor_loss.backward()
        actor_opt.step()
        with torch.no_grad():
            for p, t in zip(critics.parameters(), targets.parameters()):
                t.mul_(1 - tau).add_(p, alpha=tau)
        return critic_loss.item()

    for _ in range(min(50, updates)):
        update()
    start = time.perf_counter()
    loss = 0.0
    for _ in range(updates):
        loss = update()
    seconds = time.perf_counter() - start
    print(json.dumps({"torch": torch.__version__, "threads": threads, "batch": batch, "updates": updates, "seconds": seconds,
                      "updatesPerSecond": updates / seconds, "criticLoss": loss}))


if __name__ == "__main__":
    main()
