// Add, Sub, Mul, Div with numpy broadcasting, for float32 and the integer dtypes.
#include <limits>
#include <type_traits>

#include "ref/kernel.h"

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
    using U = std::make_unsigned_t<T>;
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

template <typename T>
ir::Tensor compute(const KernelArgs& a, BinaryOp op, const ir::Tensor& x, const ir::Tensor& y,
                   const ir::Shape& out_shape) {
  ir::Tensor z(x.dtype(), out_shape);
  std::vector<int64_t> xi = broadcast_index_map(x.shape(), out_shape);
  std::vector<int64_t> yi = broadcast_index_map(y.shape(), out_shape);
  const T* xd = x.data<T>();
  const T* yd = y.data<T>();
  T* zd = z.data<T>();
  for (int64_t i = 0; i < z.numel(); ++i) zd[i] = apply<T>(a, op, xd[xi[i]], yd[yi[i]]);
  return z;
}

std::vector<ir::Tensor> binary(const KernelArgs& a, BinaryOp op) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& y = a.in(1);
  if (x.dtype() != y.dtype())
    a.error(fmt::format("inputs have different dtypes: {} and {}", ir::dtype_name(x.dtype()),
                        ir::dtype_name(y.dtype())));
  ir::Shape shape = a.out_shape(0);
  switch (x.dtype()) {
    case ir::DType::Float32:
      return {compute<float>(a, op, x, y, shape)};
    case ir::DType::Int32:
      return {compute<int32_t>(a, op, x, y, shape)};
    case ir::DType::Int64:
      return {compute<int64_t>(a, op, x, y, shape)};
    case ir::DType::UInt8:
      return {compute<uint8_t>(a, op, x, y, shape)};
    case ir::DType::Int8:
      return {compute<int8_t>(a, op, x, y, shape)};
    default:
      a.error(fmt::format("unsupported dtype {}", ir::dtype_name(x.dtype())));
  }
}

}  // namespace

std::vector<ir::Tensor> add(const KernelArgs& a) { return binary(a, BinaryOp::Add); }
std::vector<ir::Tensor> sub(const KernelArgs& a) { return binary(a, BinaryOp::Sub); }
std::vector<ir::Tensor> mul(const KernelArgs& a) { return binary(a, BinaryOp::Mul); }
std::vector<ir::Tensor> div(const KernelArgs& a) { return binary(a, BinaryOp::Div); }

}  // namespace qcv::ref::detail
