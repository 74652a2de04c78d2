#include "runtime/dnnl_util.h"

#include <algorithm>
#include <cstdlib>

namespace qcv::runtime {

memory::dims to_dims(const ir::Shape& shape) {
  if (shape.empty()) return {1};
  return memory::dims(shape.begin(), shape.end());
}

static memory::format_tag plain_tag(size_t rank) {
  using tag = memory::format_tag;
  switch (rank) {
    case 0:
    case 1:
      return tag::a;
    case 2:
      return tag::ab;
    case 3:
      return tag::abc;
    case 4:
      return tag::abcd;
    case 5:
      return tag::abcde;
    case 6:
      return tag::abcdef;
    default:
      fail("runtime: tensors of rank {} are not supported by oneDNN steps", rank);
  }
}

memory::desc plain_md(const ir::Shape& shape, memory::data_type dt) {
  return memory::desc(to_dims(shape), dt, plain_tag(shape.size()));
}

memory::desc any_md(const ir::Shape& shape) {
  return memory::desc(to_dims(shape), memory::data_type::f32, memory::format_tag::any);
}

bool is_plain(const memory::desc& md, const ir::Shape& shape) {
  if (shape.size() > 6) return false;
  return md == plain_md(shape, md.data_type());
}

memory::data_type dnnl_type(ir::DType t) {
  switch (t) {
    case ir::DType::Float32:
      return memory::data_type::f32;
    case ir::DType::UInt8:
      return memory::data_type::u8;
    case ir::DType::Int8:
      return memory::data_type::s8;
    case ir::DType::Int32:
      return memory::data_type::s32;
    default:
      return memory::data_type::undef;
  }
}

memory::desc with_type(const memory::desc& md, memory::data_type dt) {
  dnnl_memory_desc_t d = md.data;
  d.data_type = memory::convert_to_c(dt);
  d.extra = dnnl_memory_extra_desc_t{};  // compensation flags belong to weights only
  return memory::desc(d);
}

std::string md_str(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked) return "non-blocked";
  const auto& b = d.format_desc.blocking;
  std::string s;
  // Dimensions ordered by stride (outermost first), then the inner blocks.
  std::vector<int> order(d.ndims);
  for (int i = 0; i < d.ndims; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int x, int y) { return b.strides[x] > b.strides[y]; });
  for (int i : order) s += static_cast<char>('a' + i);
  for (int i = 0; i < b.inner_nblks; ++i)
    s += std::to_string(b.inner_blks[i]) + static_cast<char>('a' + b.inner_idxs[i]);
  return s;
}

bool is_fast(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).find("ref") == std::string::npos;
}

bool winograd_pays(int64_t in_channels, int64_t out_channels, int64_t groups,
                   const std::vector<int64_t>& kernel, const dnnl::memory::dims& strides,
                   const dnnl::memory::dims& dilations, int64_t positions) {
  const char* env = std::getenv("QCV_WINOGRAD");
  if (env && std::string(env) == "0") return false;
  auto all = [](const dnnl::memory::dims& d, int64_t v) {
    return std::all_of(d.begin(), d.end(), [v](int64_t x) { return x == v; });
  };
  return groups == 1 && kernel == std::vector<int64_t>{3, 3} && all(strides, 1) &&
         all(dilations, 0) && in_channels >= 64 && out_channels >= 64 && positions >= 784;
}

bool int8_sums_exact() {
  static const bool exact = [] {
    const unsigned isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());  // feature bits
    auto has = [isa](unsigned bits) { return (isa & bits) == bits; };
    return has(dnnl_cpu_isa_avx2_vnni) || has(dnnl_cpu_isa_avx512_core_vnni);
  }();
  return exact;
}

bool amx_pays(const std::string& impl, const Int8LayerSize& size) {
  // Measured per layer with ONEDNN_VERBOSE on MobileNetV2/V3 and ResNet-18/50 (batch 1, 1 thread):
  // every layer from 30M multiply-adds up ran faster with AMX (the MobileNets' largest are 20M).
  // Below that only the brgemm convolutions won with it (up to 2.5x), and only with at least 64
  // input and 32 output channels over more than one position: oneDNN's older jit AMX kernels
  // (jit_1x1, jit) and the squeeze-excite layers and classifiers (one position) lost, by up to
  // 5x (MobileNetV3-Large's 240->80 at 14x14: 57 us against 16).
  if (size.macs >= 3e7) return true;
  return impl.rfind("brgconv", 0) == 0 && size.inputs >= 64 && size.outputs >= 32 &&
         size.positions > 1;
}

}  // namespace qcv::runtime
