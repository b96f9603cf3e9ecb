#!/usr/bin/env python3
"""Golden outputs of xoshiro256** seeded by splitmix64, computed independently of the
C code (straight from the published algorithm). Writes xoshiro256ss.out:
one line per seed: "seed: v1 v2 ... v8" in hex.  Run: python3 gen.py > xoshiro256ss.out"""
M = (1 << 64) - 1

def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)

def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M

def xoshiro(seed, n):
    st, s = seed, []
    for _ in range(4):
        st, v = splitmix64(st)
        s.append(v)
    out = []
    for _ in range(n):
        out.append((rotl((s[1] * 5) & M, 7) * 9) & M)
        t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out

for seed in (0, 1, 42, 0xDEADBEEF, M):
    print("%d: %s" % (seed, " ".join("%016x" % v for v in xoshiro(seed, 8))))
