// Small helpers between the IR's shapes and oneDNN's memory descriptors.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "ir/ir.h"

namespace qcv::runtime {

using dnnl::memory;

memory::dims to_dims(const ir::Shape& shape);
// Dense row-major float32 descriptor of a shape (rank 0 becomes {1}).
memory::desc plain_md(const ir::Shape& shape, memory::data_type dt = memory::data_type::f32);
// The same shape with format_tag::any: the primitive picks its preferred layout.
memory::desc any_md(const ir::Shape& shape);
bool is_plain(const memory::desc& md, const ir::Shape& shape);
// oneDNN's type for f32/u8/s8/s32 tensors; data_type::undef for the others.
memory::data_type dnnl_type(ir::DType t);
// The same layout (dims, strides, blocks) holding another element type.
memory::desc with_type(const memory::desc& md, memory::data_type dt);
// "nChw16c"-like summary of a descriptor, for logs and tests.
std::string md_str(const memory::desc& md);
// A primitive descriptor is "fast" when oneDNN picked a JIT kernel rather than a reference one.
bool is_fast(const dnnl::primitive_desc_base& pd);

// Whether oneDNN's int8 convolutions and matmuls give exact integer sums on this CPU. Without
// VNNI (AVX2, AVX-512 before Cascade Lake, AMD before Zen 4) they add pairs of u8 x s8 products
// in saturating 16-bit lanes (vpmaddubsw): 255 x 127 x 2 overflows, and outputs end many steps
// off. There the runtime computes those layers in FP32 on the dequantized values instead.
bool int8_sums_exact();

}  // namespace qcv::runtime
