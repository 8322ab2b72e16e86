"""The seed paper's market-making environment (Gasperov and Kostanjcar 2022, the authors' notebook
BGasperov/drlformm), ported plainly to Python/numpy without gym or TensorFlow, to check hawkgraph's
backtester against it and to time what a researcher would otherwise run.

Rules, prices (floats rounded to the cent as the notebook rounds them) and the order of every step
follow the notebook's marketmakingenv.step. The event loop is one of:
  published  the notebook as the paper's tables were made: a rejected thinning candidate is kept
             (its `event_type == 0` compares instead of assigning; the repository's issue 1),
  fixed      the authors' fix: a rejected candidate is discarded (its type still drawn from the
             intensities before the decay, as the notebook draws it),
  exact      Ogata's thinning: the type of an accepted candidate drawn from the intensities at it.

Usage: python3 bench/peers/drlformm_env.py [--episodes 1000] [--loop fixed] [--seed 1] [--beta 100]
prints the SYM action's (quotes at the best prices) metrics over the episodes as JSON.
"""
import argparse
import json
import random
import time

import numpy as np

EXCITATION = np.array([
    [1.5, 0.4, 3, 0.5, 0, 2, 1, 0], [0.4, 1.5, 0.5, 3, 2, 0, 0, 1], [0.4, 1.2, 0.2, 0, 1.5, 0.5, 0.4, 0.4],
    [1.2, 0.4, 0, 0.2, 0.5, 1.5, 0.4, 0.4], [0, 0, 2, 0, 0, 0, 0, 0], [0, 0, 0, 2, 0, 0, 0, 0],
    [1, 0, 2, 0, 0, 1, 3, 0], [0, 1, 0, 2, 1, 0, 0, 3]])
BASELINE = np.array([0.55, 0.55, 2.6, 2.6, 1.5, 1.5, 1, 1])


class MarketMakingEnv:
    def __init__(self, loop='fixed', T=100, dt=1, gamma=0.01, c=3, delta=0.01, askprice=100.05, bidprice=99.95,
                 w1=8 / 30, w2=0.25, expdispar=0.08, mtfee=0.002, mmfee=0.0, decay=100.0, Z=0.25, stop_fill=0.25):
        assert loop in ('published', 'fixed', 'exact')
        self.loop, self.T, self.dt, self.gamma, self.c, self.delta = loop, T, dt, gamma, c, delta
        self.initial = (askprice, bidprice)
        self.w1, self.w2, self.expdispar, self.mtfee, self.mmfee = w1, w2, expdispar, mtfee, mmfee
        self.decay, self.Z, self.stop_fill = decay, Z, stop_fill

    def jump(self):
        return np.round(np.random.exponential(self.expdispar) + 0.01, 2)

    def reset(self):
        self.t = 0.0
        self.askprice, self.bidprice = self.initial
        self.s = np.round((self.askprice + self.bidprice) / 2, 3)
        self.q, self.x = 0, 0.0
        self.intensities = BASELINE.copy()
        self.ask_order, self.bid_order = np.inf, -np.inf
        self.trades = 0
        self.limit_notional = 0.0  # traded value of the limit fills (what the maker fee applies to)
        self.abs_q_time = 0.0

    def mid(self):
        self.s = np.round((self.askprice + self.bidprice) / 2, 3)

    def market_fill(self, side, price):
        self.q += side
        self.trades += 1
        self.x += -(1 + self.mtfee) * price if side > 0 else (1 - self.mtfee) * price

    def limit_fill(self, side, price):
        self.q += side
        self.trades += 1
        self.limit_notional += price
        self.x += -price - self.mmfee * price if side > 0 else price - self.mmfee * price

    def step(self, action):
        c = self.c
        # Part 1: cancel the old quotes; one at the best price is aggressive with probability w2.
        if self.ask_order == self.askprice and random.random() < self.w2:
            self.askprice = np.round(self.askprice + self.jump(), 2)
            self.mid()
            self.intensities = self.intensities + EXCITATION[5]
        if self.bid_order == self.bidprice and random.random() < self.w2:
            self.bidprice = np.round(self.bidprice - self.jump(), 2)
            self.mid()
            self.intensities = self.intensities + EXCITATION[4]
        # Part 2: the new quotes, within the inventory constraint.
        self.ask_order, self.bid_order = np.round(self.askprice + action[0], 2), np.round(self.bidprice - action[1], 2)
        if self.q <= -c:
            self.ask_order = np.inf
        if self.q >= c:
            self.bid_order = -np.inf
        if self.ask_order <= self.bid_order:
            self.ask_order, self.bid_order = np.inf, -np.inf
        # Part 3: the ask (a market sell when it crosses, the new best ask inside the spread).
        if self.ask_order <= self.bidprice:
            if random.random() < 1 - self.w1:
                if self.q > -c:
                    self.market_fill(-1, self.bidprice)
                    self.intensities = self.intensities + EXCITATION[7]
                self.ask_order, self.bid_order = np.inf, -np.inf
            else:
                if self.q > -c:
                    j = self.jump()
                    self.market_fill(-1, self.bidprice - j / 2)
                    self.intensities = self.intensities + EXCITATION[1]
                self.ask_order, self.bid_order = np.inf, -np.inf
                self.bidprice = np.round(self.bidprice - j, 2)
                self.mid()
        elif self.ask_order < self.askprice:
            self.askprice = np.round(self.ask_order, 2)
            self.mid()
            self.intensities = self.intensities + EXCITATION[3]
        # Part 4: the bid, mirrored.
        if self.bid_order >= self.askprice:
            if random.random() < 1 - self.w1:
                if self.q < c:
                    self.market_fill(1, self.askprice)
                    self.intensities = self.intensities + EXCITATION[6]
                self.ask_order, self.bid_order = np.inf, -np.inf
            else:
                if self.q < c:
                    j = self.jump()
                    self.market_fill(1, self.askprice + j / 2)
                    self.intensities = self.intensities + EXCITATION[0]
                self.ask_order, self.bid_order = np.inf, -np.inf
                self.askprice = np.round(self.askprice + j, 2)
                self.mid()
        elif self.bid_order > self.bidprice:
            self.bidprice = np.round(self.bid_order, 2)
            self.mid()
            self.intensities = self.intensities + EXCITATION[2]
        # The step's market events.
        end = self.t + self.dt
        while self.t < end:
            total = self.intensities.sum()
            wait = np.random.exponential(1 / total)
            event = random.choices(range(1, 9), cum_weights=np.cumsum(self.intensities))[0]
            if self.t + wait < end:
                self.abs_q_time += abs(self.q) * wait
                self.t += wait
                f = np.exp(-self.decay * wait)
                self.intensities = BASELINE * (1 - f) + self.intensities * f
                if self.loop != 'published' and random.random() >= self.intensities.sum() / total:
                    continue
                if self.loop == 'exact':
                    event = random.choices(range(1, 9), cum_weights=np.cumsum(self.intensities))[0]
                elif self.loop == 'published':
                    random.random()  # the thinning test's draw, whose result the notebook ignores
                self.market_event(event)
            else:
                wait = end - self.t
                self.abs_q_time += abs(self.q) * wait
                self.t = end
                f = np.exp(-self.decay * wait)
                self.intensities = BASELINE * (1 - f) + self.intensities * f
        return self.t >= self.T

    def market_event(self, event):
        c, delta = self.c, self.delta
        if event == 1:  # MAb
            self.askprice = np.round(self.askprice + self.jump(), 2)
            self.mid()
            prob = 1 if self.ask_order < self.askprice else self.stop_fill if self.ask_order == self.askprice else 0
            if self.ask_order < np.inf and self.q > -c and random.random() < prob:
                self.limit_fill(-1, self.ask_order)
                self.ask_order = np.inf
            if self.ask_order < self.askprice:
                self.ask_order = np.inf
            self.intensities = self.intensities + EXCITATION[0]
        elif event == 2:  # MAs
            self.bidprice = np.round(self.bidprice - self.jump(), 2)
            self.mid()
            prob = 1 if self.bid_order > self.bidprice else self.stop_fill if self.bid_order == self.bidprice else 0
            if self.bid_order > -np.inf and self.q < c and random.random() < prob:
                self.limit_fill(1, self.bid_order)
                self.bid_order = -np.inf
            if self.bid_order > self.bidprice:
                self.bid_order = -np.inf
            self.intensities = self.intensities + EXCITATION[1]
        elif event == 3 and self.askprice - self.bidprice >= np.round(2 * delta, 2):  # LAb
            j = np.inf
            while j >= np.round(self.askprice - self.bidprice, 2):
                j = self.jump()
            self.bidprice = np.round(self.bidprice + j, 2)
            self.mid()
            self.intensities = self.intensities + EXCITATION[2]
        elif event == 4 and self.askprice - self.bidprice >= np.round(2 * delta, 2):  # LAs
            j = np.inf
            while j >= np.round(self.askprice - self.bidprice, 2):
                j = self.jump()
            self.askprice = np.round(self.askprice - j, 2)
            self.mid()
            self.intensities = self.intensities + EXCITATION[3]
        elif event == 5 and self.bidprice >= np.round(self.bid_order + delta, 2):  # CAb
            j = np.inf
            if self.bid_order > -np.inf:
                while j > np.round(self.bidprice - self.bid_order, 2):
                    j = self.jump()
            else:
                j = self.jump()
            self.bidprice = np.round(self.bidprice - j, 2)
            self.mid()
            self.intensities = self.intensities + EXCITATION[4]
        elif event == 6 and self.askprice <= np.round(self.ask_order - delta, 2):  # CAs
            j = np.inf
            if self.ask_order < np.inf:
                while j > np.round(self.ask_order - self.askprice, 2):
                    j = self.jump()
            else:
                j = self.jump()
            self.askprice = np.round(self.askprice + j, 2)
            self.mid()
            self.intensities = self.intensities + EXCITATION[5]
        elif event == 7:  # MNb
            if self.ask_order == self.askprice and self.q > -c and random.random() < self.Z:
                self.limit_fill(-1, self.ask_order)
                self.ask_order = np.inf
            self.intensities = self.intensities + EXCITATION[6]
        elif event == 8:  # MNs
            if self.bid_order == self.bidprice and self.q < c and random.random() < self.Z:
                self.limit_fill(1, self.bid_order)
                self.bid_order = -np.inf
            self.intensities = self.intensities + EXCITATION[7]


def sharpe(x):
    return float(np.mean(x) / np.std(x, ddof=1))


def run_sym(episodes, loop, seed, decay, maker_fees=(0.002, 0.004, 0.006)):
    random.seed(seed)
    np.random.seed(seed)
    env = MarketMakingEnv(loop=loop, decay=decay)
    pnl, notional, map_steps, map_time, trades = [], [], [], [], []
    started = time.time()
    steps = 0
    for _ in range(episodes):
        env.reset()
        abs_q = []
        while True:
            done = env.step([0.0, 0.0])
            steps += 1
            abs_q.append(abs(env.q))
            if done:
                break
        pnl.append(env.x + env.q * env.s)
        notional.append(env.limit_notional)
        map_steps.append(np.mean(abs_q))
        map_time.append(env.abs_q_time / env.T)
        trades.append(env.trades)
    seconds = time.time() - started
    pnl, notional = np.array(pnl), np.array(notional)
    return {
        'loop': loop, 'episodes': episodes, 'beta': decay, 'seed': seed,
        'mean': float(pnl.mean()), 'std': float(pnl.std(ddof=1)), 'sharpe': sharpe(pnl),
        'map': float(np.mean(map_steps)), 'mapTimeAverage': float(np.mean(map_time)), 'trades': float(np.mean(trades)),
        'makerFeeSharpe': {str(f): sharpe(pnl - f * notional) for f in maker_fees},
        'seconds': seconds, 'stepsPerSecond': steps / seconds,
    }


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--episodes', type=int, default=1000)
    ap.add_argument('--loop', default='fixed', choices=['published', 'fixed', 'exact'])
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--beta', type=float, default=100.0)
    a = ap.parse_args()
    print(json.dumps(run_sym(a.episodes, a.loop, a.seed, a.beta)))
