// Add, Sub, Mul, Div with numpy broadcasting, for every number type.
#include <limits>
#include <type_traits>

#include "ref/math_util.h"

namespace qcv::ref::detail {
namespace {

enum class BinaryOp { Add, Sub, Mul, Div };

// Integer arithmetic wraps around (two's complement) as in numpy, without signed-overflow UB.
template <typename T>
T apply(const KernelArgs& a, BinaryOp op, T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case BinaryOp::Add:
        return x + y;
      case BinaryOp::Sub:
        return x - y;
      case BinaryOp::Mul:
        return x * y;
      case BinaryOp::Div:
        return x / y;
    }
  } else {
    // At least `unsigned` wide: uint16 * uint16 would otherwise multiply as (overflowing) int.
    using U = std::make_unsigned_t<std::common_type_t<T, unsigned>>;
    switch (op) {
      case BinaryOp::Add:
        return static_cast<T>(static_cast<U>(static_cast<U>(x) + static_cast<U>(y)));
      case BinaryOp::Sub:
        return static_cast<T>(static_cast<U>(static_cast<U>(x) - static_cast<U>(y)));
      case BinaryOp::Mul:
        return static_cast<T>(static_cast<U>(static_cast<U>(x) * static_cast<U>(y)));
      case BinaryOp::Div:
        if (y == 0) a.error("integer division by zero");
        if (std::is_signed_v<T> && x == std::numeric_limits<T>::min() && y == T(-1)) return x;
        return static_cast<T>(x / y);  // truncates toward zero, as C and ONNX Runtime do
    }
  }
  return T{};
}

std::vector<ir::Tensor> binary(const KernelArgs& a, BinaryOp op) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& y = a.in(1);
  if (x.dtype() != y.dtype())
    a.error(fmt::format("inputs have different dtypes: {} and {}", ir::dtype_name(x.dtype()),
                        ir::dtype_name(y.dtype())));
  ir::Shape shape = a.out_shape(0);
  return ir::visit_dtype(x.dtype(), [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      a.error("unsupported dtype bool");
    } else {
      // One loop per op so that the float loops vectorize.
      switch (op) {
        case BinaryOp::Add:
          return {map_binary<T, T, T>(x, y, shape,
                                      [&](T u, T v) { return apply<T>(a, BinaryOp::Add, u, v); })};
        case BinaryOp::Sub:
          return {map_binary<T, T, T>(x, y, shape,
                                      [&](T u, T v) { return apply<T>(a, BinaryOp::Sub, u, v); })};
        case BinaryOp::Mul:
          return {map_binary<T, T, T>(x, y, shape,
                                      [&](T u, T v) { return apply<T>(a, BinaryOp::Mul, u, v); })};
        case BinaryOp::Div:
          break;
      }
      return {map_binary<T, T, T>(x, y, shape,
                                  [&](T u, T v) { return apply<T>(a, BinaryOp::Div, u, v); })};
    }
  });
}

}  // namespace

std::vector<ir::Tensor> add(const KernelArgs& a) { return binary(a, BinaryOp::Add); }
std::vector<ir::Tensor> sub(const KernelArgs& a) { return binary(a, BinaryOp::Sub); }
std::vector<ir::Tensor> mul(const KernelArgs& a) { return binary(a, BinaryOp::Mul); }
std::vector<ir::Tensor> div(const KernelArgs& a) { return binary(a, BinaryOp::Div); }

}  // namespace qcv::ref::detail
