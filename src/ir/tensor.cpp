#include "ir/tensor.h"

#include <cstdlib>
#include <cstring>

#include "ir/limits.h"

namespace qcv::ir {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;  // an unknown dimension
    if (__builtin_mul_overflow(n, d, &n))
      fail("shape {} has more elements than int64 can count", shape_str(shape));
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor::Tensor(DType dtype, Shape shape) : Tensor(dtype, std::move(shape), true) {}

Tensor::Tensor(DType dtype, Shape shape, bool zero) : dtype_(dtype), shape_(std::move(shape)) {
  // Checked here so that no caller can wrap a size or ask for more than the ceiling.
  const size_t bytes = limits::checked_tensor_bytes(
      shape_, dtype_size(dtype_), fmt::format("tensor of shape {}", shape_str(shape_)));
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) fail("Tensor: out of memory allocating {} bytes", bytes);
  if (zero)
    std::memset(p, 0, rounded);
  else if (rounded > bytes)  // the padding stays defined
    std::memset(static_cast<uint8_t*>(p) + bytes, 0, rounded - bytes);
  buffer_ = std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

Tensor Tensor::adopt(DType dtype, Shape shape, std::shared_ptr<uint8_t> bytes) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  limits::checked_tensor_bytes(t.shape_, dtype_size(dtype),
                               fmt::format("tensor of shape {}", shape_str(t.shape_)));
  t.buffer_ = std::move(bytes);
  return t;
}

void Tensor::check_type(DType expected) const {
  if (expected != dtype_)
    fail("Tensor: accessed as {} but holds {}", dtype_name(expected), dtype_name(dtype_));
}

double Tensor::as_double(int64_t i) const {
  if (empty()) fail("Tensor: element access on an empty tensor");
  return visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(static_cast<const T*>(raw())[i]);
  });
}

int64_t Tensor::as_int64(int64_t i) const {
  if (empty()) fail("Tensor: element access on an empty tensor");
  return visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    return static_cast<int64_t>(static_cast<const T*>(raw())[i]);
  });
}

void Tensor::set_double(int64_t i, double v) {
  if (empty()) fail("Tensor: element access on an empty tensor");
  visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    static_cast<T*>(raw())[i] = static_cast<T>(v);
  });
}

void Tensor::set_int64(int64_t i, int64_t v) {
  if (empty()) fail("Tensor: element access on an empty tensor");
  visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    static_cast<T*>(raw())[i] = static_cast<T>(v);
  });
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> v(numel());
  for (int64_t i = 0; i < numel(); ++i) v[i] = as_int64(i);
  return v;
}

std::vector<float> Tensor::to_float_vector() const {
  std::vector<float> v(numel());
  for (int64_t i = 0; i < numel(); ++i) v[i] = static_cast<float>(as_double(i));
  return v;
}

Tensor Tensor::clone() const {
  if (empty()) return Tensor();
  Tensor t = uninitialized(dtype_, shape_);
  std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (limits::checked_numel(shape, "reshape target " + shape_str(shape)) != numel())
    fail("Tensor: cannot reshape {} to {}", shape_str(shape_), shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

}  // namespace qcv::ir
