// Tensor: a dense, contiguous, row-major host buffer with a dtype and a concrete shape.
// Copies share the buffer (like a shared_ptr); use clone() for a deep copy.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "ir/error.h"

namespace qcv::ir {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);
std::string shape_str(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor.
  Tensor(DType dtype, Shape shape);
  // A tensor whose bytes the caller overwrites at once, all of them (a copy of file data): no
  // zero-filling pass over memory that is about to be written anyway.
  static Tensor uninitialized(DType dtype, Shape shape) {
    return Tensor(dtype, std::move(shape), false);
  }
  // A tensor over bytes someone else allocated (a parsed file's raw data, kept instead of
  // copied), holding `bytes` alive; at least 16-byte aligned, at least nbytes() long (checked by
  // the caller).
  static Tensor adopt(DType dtype, Shape shape, std::shared_ptr<uint8_t> bytes);

  template <typename T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values) {
    Tensor t(dtype_of<T>(), std::move(shape));
    if (static_cast<int64_t>(values.size()) != t.numel())
      fail("Tensor::from_vector: {} values for shape {}", values.size(), shape_str(t.shape()));
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }
  template <typename T>
  static Tensor scalar(T value) {
    return from_vector<T>({}, {value});
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_.at(i); }
  size_t rank() const { return shape_.size(); }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const { return dtype_ == DType::Undefined; }

  void* raw() { return buffer_ ? buffer_.get() : nullptr; }
  const void* raw() const { return buffer_ ? buffer_.get() : nullptr; }

  template <typename T>
  T* data() {
    check_type(dtype_of<T>());
    return static_cast<T*>(raw());
  }
  template <typename T>
  const T* data() const {
    check_type(dtype_of<T>());
    return static_cast<const T*>(raw());
  }
  // Element i converted to double / int64, whatever the dtype (for small tensors: shapes, scales).
  double as_double(int64_t i) const;
  int64_t as_int64(int64_t i) const;
  std::vector<int64_t> to_int64_vector() const;
  // Stores v converted to the dtype (static_cast semantics; Bool is v != 0).
  void set_double(int64_t i, double v);
  void set_int64(int64_t i, int64_t v);
  std::vector<float> to_float_vector() const;

  Tensor clone() const;
  // Same buffer, new shape with the same element count.
  Tensor reshaped(Shape shape) const;

 private:
  Tensor(DType dtype, Shape shape, bool zero);
  void check_type(DType expected) const;

  DType dtype_ = DType::Undefined;
  Shape shape_;
  std::shared_ptr<uint8_t> buffer_;  // 64-byte aligned unless adopted (16)
};

}  // namespace qcv::ir
