// The recurrent cells' fused gate math in C, so that it can be compiled twice: for
// baseline x86-64 (SSE) and for AVX2, chosen at run time (`nnreg_kernels_avx2`). Both
// give the same bits as the Swift `GateMath` kernels (LSTM.fusedForward, ...): the same
// Cephes expf polynomial, the same operations in the same order, no fused multiply-add.
//
// Row-major, `rows` samples of `units` u. Gate blocks are rows of G*u (LSTM: G = 4, i f c o;
// GRU: G = 3, z r h); every other buffer has rows of u.
#ifndef NNREG_CKERNELS_H
#define NNREG_CKERNELS_H

// 1 when the AVX2 versions run (x86-64 with AVX2 and the OS saving YMM state), else 0.
int nnreg_kernels_avx2(void);

// LSTM forward, sigmoid gates and tanh: z (rows, 4u) -> a (rows, 4u) gates, c = f cPrev + i g,
// tc = tanh(c), h = o tc, each (rows, u).
void nnreg_lstm_forward(
    const float *z, float *a, const float *cPrev, float *c, float *tc, float *h, long rows, long units);
// LSTM backward: dh, a, cPrev, tc, dc (carried, updated in place) -> d (rows, 4u).
void nnreg_lstm_backward(
    const float *dh, const float *a, const float *cPrev, const float *tc, float *dc, float *d, long rows,
    long units);
// GRU reset_after forward: z (rows, 3u) input pre-activations, rec (rows, 3u) recurrent ones
// -> z completed, a (rows, 3u) gates, h (rows, u).
void nnreg_gru_forward(float *z, float *a, const float *rec, const float *hPrev, float *h, long rows, long units);
// GRU reset_after backward: dh, hPrev, a, rec -> d, drec (rows, 3u), dhPrev (rows, u) direct part.
void nnreg_gru_backward(
    const float *dh, const float *hPrev, const float *a, const float *rec, float *d, float *drec, float *dhPrev,
    long rows, long units);

// Tests only: 0 the baseline build, 1 the AVX2 build (only when `nnreg_kernels_avx2()`),
// -1 the run-time choice (the default).
void nnreg_kernels_force(int variant);

#endif
