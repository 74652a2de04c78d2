#include "runtime/int8_kernels.h"

// GCC 12 reports the deliberately undefined lanes of its own AVX-512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

namespace qcv::runtime {

namespace {

bool has_vbmi() {
  static const bool yes = __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw");
  return yes;
}
bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return yes;
}

// 64 lookups per iteration: vpermi2b picks from 128 table bytes; the high bit of the index
// chooses between the two halves.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) size_t lookup_bytes_vbmi(
    const uint8_t table[256], const uint8_t* src, uint8_t* dst, size_t n) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  size_t k = 0;
  for (; k + 64 <= n; k += 64) {
    const __m512i idx = _mm512_loadu_si512(src + k);
    const __m512i lo = _mm512_permutex2var_epi8(t0, idx, t1);
    const __m512i hi = _mm512_permutex2var_epi8(t2, idx, t3);
    const __mmask64 high = _mm512_movepi8_mask(idx);
    _mm512_storeu_si512(dst + k, _mm512_mask_blend_epi8(high, lo, hi));
  }
  return k;
}

// 16 channels per iteration; the rounding of cvtps2dq is the current mode, half to even.
__attribute__((target("avx512f,avx512bw,avx512vl"))) int64_t scale_row_avx512(
    const uint8_t* src, uint8_t* dst, const float* mult, int64_t channels, int32_t src_zp,
    int32_t dst_zp, bool is_signed) {
  const __m512i zx = _mm512_set1_epi32(src_zp), zy = _mm512_set1_epi32(dst_zp);
  const __m512i lo = _mm512_set1_epi32(is_signed ? -128 : 0);
  const __m512i hi = _mm512_set1_epi32(is_signed ? 127 : 255);
  // The last block is masked (channel counts such as 72 or 120 leave 8).
  for (int64_t c = 0; c < channels; c += 16) {
    const int64_t left = channels - c;
    const __mmask16 k = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    const __m128i bytes = _mm_maskz_loadu_epi8(k, src + c);
    __m512i v = is_signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes);
    __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(v, zx));
    f = _mm512_mul_ps(f, _mm512_maskz_loadu_ps(k, mult + c));
    __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(f), zy);
    r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
    _mm512_mask_cvtepi32_storeu_epi8(dst + c, k, r);
  }
  return channels;
}

}  // namespace

void lookup_bytes(const uint8_t table[256], const uint8_t* src, uint8_t* dst, size_t n) {
  size_t k = has_vbmi() ? lookup_bytes_vbmi(table, src, dst, n) : 0;
  for (; k < n; ++k) dst[k] = table[src[k]];
}

void lookup_floats(const float table[256], const uint8_t* src, float* dst, size_t n) {
  for (size_t k = 0; k < n; ++k) dst[k] = table[src[k]];
}

void scale_channels(const uint8_t* src, uint8_t* dst, const float* mult, int64_t pixels,
                    int64_t channels, int32_t src_zp, int32_t dst_zp, bool is_signed) {
  const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  const bool wide = has_avx512();
  for (int64_t p = 0; p < pixels; ++p) {
    const uint8_t* s = src + p * channels;
    uint8_t* d = dst + p * channels;
    int64_t c = wide ? scale_row_avx512(s, d, mult, channels, src_zp, dst_zp, is_signed) : 0;
    for (; c < channels; ++c) {
      const int32_t q = is_signed ? static_cast<int8_t>(s[c]) : s[c];
      const float f = static_cast<float>(q - src_zp) * mult[c];
      const int32_t r = static_cast<int32_t>(std::nearbyint(f)) + dst_zp;
      d[c] = static_cast<uint8_t>(std::clamp(r, lo, hi));
    }
  }
}


namespace {

// 16 channels at a time (the last block masked), down all pixels.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void sum_channels_avx512(
    const uint8_t* src, int64_t pixels, int64_t channels, bool is_signed, int32_t* sums) {
  for (int64_t c = 0; c < channels; c += 16) {
    const int64_t left = channels - c;
    const __mmask16 k = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    __m512i acc = _mm512_setzero_si512();
    for (int64_t p = 0; p < pixels; ++p) {
      const __m128i bytes = _mm_maskz_loadu_epi8(k, src + p * channels + c);
      acc = _mm512_add_epi32(acc, is_signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes));
    }
    _mm512_mask_storeu_epi32(sums + c, k, acc);
  }
}

}  // namespace

void sum_channels(const uint8_t* src, int64_t pixels, int64_t channels, bool is_signed,
                  int32_t* sums) {
  if (has_avx512()) return sum_channels_avx512(src, pixels, channels, is_signed, sums);
  std::fill(sums, sums + channels, 0);
  for (int64_t p = 0; p < pixels; ++p) {
    const uint8_t* s = src + p * channels;
    if (is_signed)
      for (int64_t c = 0; c < channels; ++c) sums[c] += static_cast<int8_t>(s[c]);
    else
      for (int64_t c = 0; c < channels; ++c) sums[c] += s[c];
  }
}

}  // namespace qcv::runtime
