// See include/CKernels.h. Each kernel body is an always-inline function on 8-lane vectors
// (GCC vector extensions), instantiated twice by DEFINE_KERNELS: once for the baseline
// target (two SSE halves) and once with target("avx2"). Keep every expression in the
// order of the Swift GateMath code it mirrors (RecurrentKernels.swift, RecurrentLSTM.swift,
// RecurrentGRU.swift): the bit-for-bit tests compare the two.
#include "CKernels.h"

#include <string.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
// The vector helpers are always inlined, so no vector crosses a call (no ABI to change).
#pragma clang diagnostic ignored "-Wpsabi"
#endif

typedef float f8 __attribute__((vector_size(32)));
typedef int i8 __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))

INLINE f8 splat(float x) { return (f8){x, x, x, x, x, x, x, x}; }

// m ? a : b per lane (m: all ones or zero), as Swift's `replacing(with:where:)`.
INLINE f8 blend(i8 m, f8 a, f8 b) { return (f8)(((i8)a & m) | ((i8)b & ~m)); }

// memcpy(DST, SRC, lanes floats) with a constant size per case, so that it compiles to
// moves instead of a call (a call in the middle of vector code costs spills).
#define COPY_LANES(DST, SRC, lanes)                       \
    switch (lanes) {                                      \
    case 8: memcpy(DST, SRC, 8 * sizeof(float)); break;   \
    case 7: memcpy(DST, SRC, 7 * sizeof(float)); break;   \
    case 6: memcpy(DST, SRC, 6 * sizeof(float)); break;   \
    case 5: memcpy(DST, SRC, 5 * sizeof(float)); break;   \
    case 4: memcpy(DST, SRC, 4 * sizeof(float)); break;   \
    case 3: memcpy(DST, SRC, 3 * sizeof(float)); break;   \
    case 2: memcpy(DST, SRC, 2 * sizeof(float)); break;   \
    default: memcpy(DST, SRC, 1 * sizeof(float)); break;  \
    }

// The first `lanes` (1...8) floats of p, zeros after (GateMath.load).
INLINE f8 load(const float *p, long lanes) {
    f8 v = splat(0);
    COPY_LANES(&v, p, lanes);
    return v;
}

// Lanes 0..<lanes of v into p (GateMath.store).
INLINE void store(f8 v, float *p, long lanes) { COPY_LANES(p, &v, lanes); }

// GateMath.exp: Cephes expf, x clamped to [-87, 88].
INLINE f8 vexp(f8 v) {
    f8 x = blend(v > splat(88), splat(88), v);
    x = blend(x < splat(-87), splat(-87), x);
    const f8 magic = splat(12582912.0f);  // 1.5 * 2^23
    f8 shifted = x * splat(1.44269504f) + magic;
    f8 k = shifted - magic;
    f8 r = x - k * splat(0.693359375f) + k * splat(2.1219444e-4f);
    f8 p = splat(1.98756915e-4f);
    p = p * r + splat(1.39819995e-3f);
    p = p * r + splat(8.3334519e-3f);
    p = p * r + splat(4.16657959e-2f);
    p = p * r + splat(1.66666655e-1f);
    p = p * r + splat(5.00000012e-1f);
    p = p * (r * r) + r + splat(1);
    typedef unsigned u8v __attribute__((vector_size(32)));
    u8v exponent = (u8v)shifted - 0x4B400000u;
    return p * (f8)((exponent + 127u) << 23);
}

INLINE f8 vsigmoid(f8 x) { return splat(1) / (splat(1) + vexp(-x)); }

INLINE f8 vtanh(f8 x) { return splat(1) - splat(2) / (vexp(x + x) + splat(1)); }

// Calls BLOCK(j, lanes) for j = 0, 8, ... over 0..<u: 8 lanes, then the remainder
// (GateMath.forEachBlock); `lanes` is the constant 8 in the first loop, so full blocks
// load and store whole vectors.
#define FOR_EACH_BLOCK(u, BLOCK)                           \
    do {                                                   \
        long j_ = 0;                                       \
        for (; j_ + 8 <= (u); j_ += 8) BLOCK(j_, 8);       \
        if (j_ < (u)) BLOCK(j_, (u) - j_);                 \
    } while (0)

// LSTM.fusedForward, one pass per kind of operation: every op is per element, so the
// bits do not depend on how elements are grouped, and one exp at a time keeps the
// registers from spilling (19% faster than all gates of 8 units at once).
INLINE void sigmoid_block(const float *z, float *a, long j, long n) { store(vsigmoid(load(z + j, n)), a + j, n); }

INLINE void tanh_block(const float *z, float *a, long j, long n) { store(vtanh(load(z + j, n)), a + j, n); }

// a (4u) gates -> c = f cPrev + i g, tc = tanh(c), h = o tc.
INLINE void lstm_cell_block(
    const float *a, const float *cPrev, float *c, float *tc, float *h, long u, long j, long n) {
    f8 i = load(a + j, n), f = load(a + u + j, n), g = load(a + 2 * u + j, n), o = load(a + 3 * u + j, n);
    f8 cv = f * load(cPrev + j, n) + i * g, tcv = vtanh(cv);
    store(cv, c + j, n);
    store(tcv, tc + j, n);
    store(o * tcv, h + j, n);
}

INLINE void lstm_forward(
    const float *z, float *a, const float *cPrev, float *c, float *tc, float *h, long rows, long u) {
    for (long s = 0; s < rows; s++, z += 4 * u, a += 4 * u, cPrev += u, c += u, tc += u, h += u) {
        const long if_ = 2 * u;  // i and f, contiguous
#define LSTM_IF(j, n) sigmoid_block(z, a, j, n)
#define LSTM_G(j, n) tanh_block(z + 2 * u, a + 2 * u, j, n)
#define LSTM_O(j, n) sigmoid_block(z + 3 * u, a + 3 * u, j, n)
#define LSTM_CELL(j, n) lstm_cell_block(a, cPrev, c, tc, h, u, j, n)
        FOR_EACH_BLOCK(if_, LSTM_IF);
        FOR_EACH_BLOCK(u, LSTM_G);
        FOR_EACH_BLOCK(u, LSTM_O);
        FOR_EACH_BLOCK(u, LSTM_CELL);
    }
}

// One block of LSTM.fusedBackward: dh, a (4u), cPrev, tc, dc -> d (4u), dc.
INLINE void lstm_backward_block(
    const float *dh, const float *a, const float *cPrev, const float *tc, float *dc, float *d, long u, long j,
    long n) {
    const f8 one = splat(1);
    f8 dhv = load(dh + j, n), tcv = load(tc + j, n);
    f8 i = load(a + j, n), f = load(a + u + j, n);
    f8 g = load(a + 2 * u + j, n), o = load(a + 3 * u + j, n);
    f8 dcv = load(dc + j, n) + dhv * o * (one - tcv * tcv);
    store(dcv * g * (i * (one - i)), d + j, n);
    store(dcv * load(cPrev + j, n) * (f * (one - f)), d + u + j, n);
    store(dcv * i * (one - g * g), d + 2 * u + j, n);
    store(dhv * tcv * (o * (one - o)), d + 3 * u + j, n);
    store(dcv * f, dc + j, n);
}

INLINE void lstm_backward(
    const float *dh, const float *a, const float *cPrev, const float *tc, float *dc, float *d, long rows, long u) {
    for (long s = 0; s < rows; s++, dh += u, a += 4 * u, cPrev += u, tc += u, dc += u, d += 4 * u) {
#define LSTM_BACKWARD(j, n) lstm_backward_block(dh, a, cPrev, tc, dc, d, u, j, n)
        FOR_EACH_BLOCK(u, LSTM_BACKWARD);
    }
}

// GRU.fusedForward in two passes, as lstm_forward: z and r (2u) first, then h̃ and h.
// z, r: p = z + rec into z, a = σ(p).
INLINE void gru_gates_block(float *z, float *a, const float *rec, long j, long n) {
    f8 p = load(z + j, n) + load(rec + j, n);
    store(p, z + j, n);
    store(vsigmoid(p), a + j, n);
}

// h̃ = tanh(z_h + r rec_h) (pre-activation into z_h), h = z hPrev + (1 - z) h̃.
INLINE void gru_candidate_block(
    float *z, float *a, const float *rec, const float *hPrev, float *h, long u, long j, long n) {
    f8 zg = load(a + j, n), rg = load(a + u + j, n);
    f8 ph = load(z + 2 * u + j, n) + rg * load(rec + 2 * u + j, n), hh = vtanh(ph);
    store(ph, z + 2 * u + j, n);
    store(hh, a + 2 * u + j, n);
    store(zg * load(hPrev + j, n) + (splat(1) - zg) * hh, h + j, n);
}

INLINE void gru_forward(float *z, float *a, const float *rec, const float *hPrev, float *h, long rows, long u) {
    for (long s = 0; s < rows; s++, z += 3 * u, a += 3 * u, rec += 3 * u, hPrev += u, h += u) {
        const long zr = 2 * u;
#define GRU_GATES(j, n) gru_gates_block(z, a, rec, j, n)
#define GRU_CANDIDATE(j, n) gru_candidate_block(z, a, rec, hPrev, h, u, j, n)
        FOR_EACH_BLOCK(zr, GRU_GATES);
        FOR_EACH_BLOCK(u, GRU_CANDIDATE);
    }
}

// One block of GRU.fusedBackward: d, drec (3u), dhPrev.
INLINE void gru_backward_block(
    const float *dh, const float *hPrev, const float *a, const float *rec, float *d, float *drec, float *dhPrev,
    long u, long j, long n) {
    const f8 one = splat(1);
    f8 g = load(dh + j, n), zg = load(a + j, n);
    f8 rg = load(a + u + j, n), hh = load(a + 2 * u + j, n);
    f8 dz = g * (load(hPrev + j, n) - hh) * (zg * (one - zg));
    f8 dhh = g * (one - zg) * (one - hh * hh);
    f8 dr = dhh * load(rec + 2 * u + j, n) * (rg * (one - rg));
    store(g * zg, dhPrev + j, n);
    store(dz, d + j, n);
    store(dr, d + u + j, n);
    store(dhh, d + 2 * u + j, n);
    store(dz, drec + j, n);
    store(dr, drec + u + j, n);
    store(dhh * rg, drec + 2 * u + j, n);
}

INLINE void gru_backward(
    const float *dh, const float *hPrev, const float *a, const float *rec, float *d, float *drec, float *dhPrev,
    long rows, long u) {
    for (long s = 0; s < rows;
         s++, dh += u, hPrev += u, a += 3 * u, rec += 3 * u, d += 3 * u, drec += 3 * u, dhPrev += u) {
#define GRU_BACKWARD(j, n) gru_backward_block(dh, hPrev, a, rec, d, drec, dhPrev, u, j, n)
        FOR_EACH_BLOCK(u, GRU_BACKWARD);
    }
}

// The four kernels under one name suffix and target attribute.
#define DEFINE_KERNELS(SUFFIX, ATTR)                                                                       \
    ATTR static void lstm_forward_##SUFFIX(                                                                \
        const float *z, float *a, const float *cPrev, float *c, float *tc, float *h, long rows, long u) {   \
        lstm_forward(z, a, cPrev, c, tc, h, rows, u);                                                      \
    }                                                                                                      \
    ATTR static void lstm_backward_##SUFFIX(                                                               \
        const float *dh, const float *a, const float *cPrev, const float *tc, float *dc, float *d, long rows, \
        long u) {                                                                                          \
        lstm_backward(dh, a, cPrev, tc, dc, d, rows, u);                                                   \
    }                                                                                                      \
    ATTR static void gru_forward_##SUFFIX(                                                                 \
        float *z, float *a, const float *rec, const float *hPrev, float *h, long rows, long u) {            \
        gru_forward(z, a, rec, hPrev, h, rows, u);                                                         \
    }                                                                                                      \
    ATTR static void gru_backward_##SUFFIX(                                                                \
        const float *dh, const float *hPrev, const float *a, const float *rec, float *d, float *drec,       \
        float *dhPrev, long rows, long u) {                                                                \
        gru_backward(dh, hPrev, a, rec, d, drec, dhPrev, rows, u);                                         \
    }

DEFINE_KERNELS(base, )

#if defined(__x86_64__)
#include <cpuid.h>

DEFINE_KERNELS(avx2, __attribute__((target("avx2"))))

// CPUID.7.0:EBX bit 5 (AVX2), with CPUID.1:ECX bit 27 (OSXSAVE) and XCR0 bits 1-2 (the OS
// saves XMM and YMM state).
static int detect_avx2(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6u) != 6u) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx & (1u << 5)) != 0;
}
#else
static int detect_avx2(void) { return 0; }
#define lstm_forward_avx2 lstm_forward_base
#define lstm_backward_avx2 lstm_backward_base
#define gru_forward_avx2 gru_forward_base
#define gru_backward_avx2 gru_backward_base
#endif

static int hasAVX2, useAVX2;

__attribute__((constructor)) static void choose(void) { useAVX2 = hasAVX2 = detect_avx2(); }

int nnreg_kernels_avx2(void) { return hasAVX2; }

void nnreg_kernels_force(int variant) { useAVX2 = variant < 0 ? hasAVX2 : (variant == 1 && hasAVX2); }

void nnreg_lstm_forward(
    const float *z, float *a, const float *cPrev, float *c, float *tc, float *h, long rows, long units) {
    (useAVX2 ? lstm_forward_avx2 : lstm_forward_base)(z, a, cPrev, c, tc, h, rows, units);
}

void nnreg_lstm_backward(
    const float *dh, const float *a, const float *cPrev, const float *tc, float *dc, float *d, long rows,
    long units) {
    (useAVX2 ? lstm_backward_avx2 : lstm_backward_base)(dh, a, cPrev, tc, dc, d, rows, units);
}

void nnreg_gru_forward(float *z, float *a, const float *rec, const float *hPrev, float *h, long rows, long units) {
    (useAVX2 ? gru_forward_avx2 : gru_forward_base)(z, a, rec, hPrev, h, rows, units);
}

void nnreg_gru_backward(
    const float *dh, const float *hPrev, const float *a, const float *rec, float *d, float *drec, float *dhPrev,
    long rows, long units) {
    (useAVX2 ? gru_backward_avx2 : gru_backward_base)(dh, hPrev, a, rec, d, drec, dhPrev, rows, units);
}
