// Small int8 kernels oneDNN 2.6 has no primitive for, used by the int8 steps of MobileNetV3's
// HardSwish and squeeze-excite (compile_qlut.cpp, compile_qscale.cpp). Each has a plain loop and,
// where the CPU allows, an AVX-512 one chosen at run time; tests compare them with the reference.
#pragma once
#include <cstddef>
#include <cstdint>

namespace qcv::runtime {

// dst[k] = table[src[k]] for bytes: any function of one uint8/int8 value (int8 read as its byte).
void lookup_bytes(const uint8_t table[256], const uint8_t* src, uint8_t* dst, size_t n);
// dst[k] = table[src[k]] with float results.
void lookup_floats(const float table[256], const uint8_t* src, float* dst, size_t n);

// Requantized per-channel scaling of a channels-last int8 tensor of `pixels` rows of `channels`:
// dst = saturate(round_half_even((src - src_zp) * mult[c]) + dst_zp), uint8 or int8 by `is_signed`.
void scale_channels(const uint8_t* src, uint8_t* dst, const float* mult, int64_t pixels,
                    int64_t channels, int32_t src_zp, int32_t dst_zp, bool is_signed);

// Per-channel sums over `pixels` rows of `channels` int8 numbers (channels-last), into sums.
void sum_channels(const uint8_t* src, int64_t pixels, int64_t channels, bool is_signed,
                  int32_t* sums);

}  // namespace qcv::runtime
