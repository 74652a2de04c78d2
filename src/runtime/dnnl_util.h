// Small helpers between the IR's shapes and oneDNN's memory descriptors.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

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

// Whether an FP32 convolution runs as Winograd (oneDNN's jit_fp32_wino_2x3 at batch 1,
// jit_wino_4x3 on batches: 2.25-4x fewer multiplications) instead of the direct algorithm: 2-D,
// one group, 3x3, stride 1, no dilation, >= 64 input and output channels (the 3x3 layers of
// ResNets and VGGs), and >= 784 output positions (batch x height x width). bench/winograd_layers
// against brgconv on channels-last, the reorders to and from Winograd's blocked layout included,
// at 1 and 2 threads: batch 1, 0.59-0.75x the time at 64 channels 56x56 and 128 at 28x28,
// 0.68-0.83x at 256 at 14x14, 0.91-0.96x at 512 at 7x7; batch 16, 0.48-0.61x on all four. Its
// weight transform (oneDNN's wino_reorder) costs compile time in proportion to the weights (0.4-
// 0.8 ms for a 64x64 layer, 26-55 ms for a 512x512 one) while the gain grows with the positions:
// below 784 (14x14 and 7x7 at batch 1) a layer saves 0.03-0.2 ms a run for 6-55 ms of transform,
// which would make ResNet-18's compile about 3x longer (its time is the Session's start-up). Outputs
// differ from the direct sum by rounding (2e-6 relative). QCV_WINOGRAD=0 turns it off.
bool winograd_pays(int64_t in_channels, int64_t out_channels, int64_t groups,
                   const std::vector<int64_t>& kernel, const dnnl::memory::dims& strides,
                   const dnnl::memory::dims& dilations, int64_t positions);

// Whether oneDNN's int8 convolutions and matmuls give exact integer sums on this CPU. Without
// VNNI (AVX2, AVX-512 before Cascade Lake, AMD before Zen 4) they add pairs of u8 x s8 products
// in saturating 16-bit lanes (vpmaddubsw): 255 x 127 x 2 overflows, and outputs end many steps
// off. There the runtime computes those layers in FP32 on the dequantized values instead.
bool int8_sums_exact();

// The size of an int8 convolution or inner product, for choosing its kernel.
struct Int8LayerSize {
  double macs = 0;             // multiply-adds per call
  int64_t inputs = 0;          // input channels per group
  int64_t outputs = 0;         // output channels per group
  int64_t positions = 0;       // output positions (batch x spatial) per call
};

// Whether oneDNN's AMX implementation `impl` is worth it on a layer of this size. oneDNN 2.6
// prefers AMX whenever the CPU has it, but on a Sapphire Rapids core its AMX kernels lose to
// the AVX-512 VNNI ones on most small layers (MobileNetV3-Small INT8 at 1 thread: 1.85 ms with
// AMX, 0.93 ms without), while the ResNets' large layers run 2-4x faster with it.
bool amx_pays(const std::string& impl, const Int8LayerSize& size);

// Steps `pd` past oneDNN's AMX implementations that do not pay on this layer to the next fast
// one; keeps oneDNN's first choice when there is no other. oneDNN's iterator points to the
// operation descriptor `pd` was made from: it must still be alive.
template <class PrimitiveDesc>
void avoid_amx_when_small(PrimitiveDesc& pd, const Int8LayerSize& size) {
  auto unwanted = [&size](const PrimitiveDesc& p) {
    const std::string impl = p.impl_info_str();
    return impl.find("amx") != std::string::npos && !amx_pays(impl, size);
  };
  if (!unwanted(pd)) return;
  const PrimitiveDesc first = pd;  // its own handle: next_impl() replaces pd's
  while (pd.next_impl())
    if (!unwanted(pd) && is_fast(pd)) return;
  pd = first;
}

}  // namespace qcv::runtime
