// Binary elementwise ops with numpy broadcasting beyond Add/Sub/Mul/Div: Pow (base and exponent
// of different types), Mod, BitShift, comparisons (bool out) and And/Or/Xor.
#include <cmath>
#include <limits>

#include "ref/math_util.h"

namespace qcv::ref::detail {
namespace {

void expect_same_dtypes(const KernelArgs& a) {
  if (a.in(0).dtype() != a.in(1).dtype())
    a.error(fmt::format("inputs have different dtypes: {} and {}", ir::dtype_name(a.in(0).dtype()),
                        ir::dtype_name(a.in(1).dtype())));
}

// f(T{}) with T the (shared) input type; bool only when allow_bool.
template <typename F>
std::vector<ir::Tensor> with_input_type(const KernelArgs& a, bool allow_bool, F f) {
  expect_same_dtypes(a);
  return ir::visit_dtype(a.in(0).dtype(), [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>)
      if (!allow_bool) a.error("unsupported dtype bool");
    return f(tag);
  });
}

template <typename F>
std::vector<ir::Tensor> compare(const KernelArgs& a, F f) {
  return with_input_type(a, true, [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    return {map_binary<bool, T, T>(a.in(0), a.in(1), a.out_shape(0), f)};
  });
}

template <typename F>
std::vector<ir::Tensor> logic(const KernelArgs& a, F f) {
  expect_same_dtypes(a);
  if (a.in(0).dtype() != ir::DType::Bool) a.error("inputs must be bool");
  return {map_binary<bool, bool, bool>(a.in(0), a.in(1), a.out_shape(0), f)};
}

// Integer power by squaring, wrapping like numpy; negative exponents truncate 1/x^-e toward 0.
template <typename T, typename E>
T int_pow(T base, E e) {
  if constexpr (std::is_signed_v<E>) {
    if (e < 0) {
      if (base == 1) return 1;
      if constexpr (std::is_signed_v<T>)
        if (base == T(-1)) return (static_cast<int64_t>(e) % 2 == 0) ? T(1) : T(-1);
      return 0;  // 1/x^|e| truncates to 0 (numpy refuses; ONNX Runtime truncates)
    }
  }
  using U = std::make_unsigned_t<std::common_type_t<T, unsigned>>;
  U result = 1, b = static_cast<U>(base);
  for (auto k = static_cast<uint64_t>(e); k; k >>= 1) {
    if (k & 1) result = static_cast<U>(result * b);
    b = static_cast<U>(b * b);
  }
  return static_cast<T>(result);
}

// Floor-style remainder (sign of the divisor), as Python's % and ONNX Mod with fmod=0.
template <typename T>
T floor_mod(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
  } else {
    if constexpr (std::is_signed_v<T>)
      if (y == T(-1)) return 0;  // also avoids INT_MIN % -1
    T r = static_cast<T>(x % y);
    if constexpr (std::is_signed_v<T>)
      if (r != 0 && ((r < 0) != (y < 0))) r = static_cast<T>(r + y);
    return r;
  }
}

}  // namespace

std::vector<ir::Tensor> pow_kernel(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& y = a.in(1);
  const ir::Shape out = a.out_shape(0);
  return ir::visit_dtype(x.dtype(), [&](auto xtag) -> std::vector<ir::Tensor> {
    using X = decltype(xtag);
    return ir::visit_dtype(y.dtype(), [&](auto ytag) -> std::vector<ir::Tensor> {
      using Y = decltype(ytag);
      if constexpr (std::is_same_v<X, bool> || std::is_same_v<Y, bool>) {
        a.error("bool operands are not supported");
      } else if constexpr (std::is_same_v<X, float> && std::is_same_v<Y, float>) {
        return {map_binary<X, X, Y>(x, y, out, [](float b, float e) { return std::pow(b, e); })};
      } else if constexpr (std::is_integral_v<X> && std::is_integral_v<Y>) {
        return {map_binary<X, X, Y>(x, y, out, [](X b, Y e) { return int_pow(b, e); })};
      } else {
        // Mixed types: compute in double, then convert to the base's type (ints truncate).
        return {map_binary<X, X, Y>(x, y, out, [](X b, Y e) {
          return static_cast<X>(std::pow(static_cast<double>(b), static_cast<double>(e)));
        })};
      }
    });
  });
}

std::vector<ir::Tensor> mod_kernel(const KernelArgs& a) {
  const bool c_style = a.node.attr_int("fmod", 0) != 0;
  return with_input_type(a, false, [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const T* yd = a.in(1).data<T>();
      for (int64_t i = 0; i < a.in(1).numel(); ++i)
        if (yd[i] == 0) a.error("integer modulo by zero");
    }
    return {map_binary<T, T, T>(a.in(0), a.in(1), a.out_shape(0), [c_style](T x, T y) -> T {
      if constexpr (std::is_same_v<T, bool>) {
        return x;  // unreachable: bool is refused above
      } else if constexpr (std::is_floating_point_v<T>) {
        return c_style ? std::fmod(x, y) : floor_mod(x, y);
      } else {
        if (!c_style) return floor_mod(x, y);
        if constexpr (std::is_signed_v<T>)
          if (y == T(-1)) return 0;
        return static_cast<T>(x % y);  // truncated: the sign of the dividend
      }
    })};
  });
}

std::vector<ir::Tensor> bit_shift_kernel(const KernelArgs& a) {
  const bool left = a.node.attr_string("direction", "") == "LEFT";
  return with_input_type(a, false, [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (!std::is_unsigned_v<T> || std::is_same_v<T, bool>) {
      a.error("BitShift takes unsigned integers");
    } else {
      constexpr T bits = std::numeric_limits<T>::digits;
      return {map_binary<T, T, T>(a.in(0), a.in(1), a.out_shape(0), [left](T x, T s) {
        if (s >= bits) return T(0);  // shifting out every bit (C++ would be undefined)
        return static_cast<T>(left ? x << s : x >> s);
      })};
    }
  });
}

std::vector<ir::Tensor> equal_kernel(const KernelArgs& a) {
  return compare(a, [](auto x, auto y) { return x == y; });
}
std::vector<ir::Tensor> less_kernel(const KernelArgs& a) {
  return compare(a, [](auto x, auto y) { return x < y; });
}
std::vector<ir::Tensor> greater_kernel(const KernelArgs& a) {
  return compare(a, [](auto x, auto y) { return x > y; });
}
std::vector<ir::Tensor> less_or_equal_kernel(const KernelArgs& a) {
  return compare(a, [](auto x, auto y) { return x <= y; });
}
std::vector<ir::Tensor> greater_or_equal_kernel(const KernelArgs& a) {
  return compare(a, [](auto x, auto y) { return x >= y; });
}

std::vector<ir::Tensor> and_kernel(const KernelArgs& a) {
  return logic(a, [](bool x, bool y) { return x && y; });
}
std::vector<ir::Tensor> or_kernel(const KernelArgs& a) {
  return logic(a, [](bool x, bool y) { return x || y; });
}
std::vector<ir::Tensor> xor_kernel(const KernelArgs& a) {
  return logic(a, [](bool x, bool y) { return x != y; });
}

}  // namespace qcv::ref::detail
