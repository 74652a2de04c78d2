// Which int8 convolutions run on oneDNN's AMX kernels (runtime/dnnl_util.h, amx_pays). On a CPU
// with AMX, a small MobileNet layer must move to another fast kernel and a large ResNet layer
// must keep AMX; on other CPUs oneDNN offers no AMX kernel and these tests skip. The numbers do
// not depend on the choice (exact integer sums either way): test_int8_models.cpp checks the zoo's
// INT8 outputs against fake quantization.
#include <gtest/gtest.h>

#include <string>

#include "runtime/dnnl_util.h"

namespace qcv::testing {
namespace {

using dnnl::memory;

struct Conv {
  int64_t in, out, size, kernel;  // channels, spatial size (square, stride 1, same padding)
};

// Makes oneDNN's first-choice int8 convolution for `c`, then lets avoid_amx_when_small step
// past it; returns {first choice, final choice}.
std::pair<std::string, std::string> choose(const Conv& c, const dnnl::engine& engine) {
  const memory::dims src{1, c.in, c.size, c.size}, dst{1, c.out, c.size, c.size};
  memory::desc src_md(src, memory::data_type::u8, memory::format_tag::nhwc);
  memory::desc w_md({c.out, c.in, c.kernel, c.kernel}, memory::data_type::s8,
                    memory::format_tag::any);
  memory::desc dst_md(dst, memory::data_type::u8, memory::format_tag::nhwc);
  const int64_t pad = c.kernel / 2;
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                    dnnl::algorithm::convolution_direct, src_md, w_md, dst_md,
                                    {1, 1}, {pad, pad}, {pad, pad});
  dnnl::convolution_forward::primitive_desc pd(d, engine);
  const std::string first = pd.impl_info_str();
  runtime::Int8LayerSize size;
  size.inputs = c.in;
  size.outputs = c.out;
  size.positions = c.size * c.size;
  size.macs = static_cast<double>(c.in * c.out * c.kernel * c.kernel * size.positions);
  runtime::avoid_amx_when_small(pd, size);
  EXPECT_TRUE(runtime::is_fast(pd)) << pd.impl_info_str();
  // The chosen descriptor still makes a primitive (oneDNN's iterator outlived by pd).
  EXPECT_NO_THROW(dnnl::convolution_forward{pd});
  return {first, pd.impl_info_str()};
}

bool amx(const std::string& impl) { return impl.find("amx") != std::string::npos; }

TEST(AmxChoice, SmallMobileNetLayerLeavesAmx) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  // MobileNetV3-Small's features.2.expand: 16 -> 72 channels at 56x56 (3.6M multiply-adds), 107
  // us on AMX against 51 on VNNI at 1 thread on a Sapphire Rapids core.
  auto [first, chosen] = choose({16, 72, 56, 1}, engine);
  if (!amx(first)) GTEST_SKIP() << "oneDNN chose no AMX kernel here: " << first;
  EXPECT_FALSE(amx(chosen)) << chosen;
}

TEST(AmxChoice, LargeResNetLayerKeepsAmx) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  // ResNet-18's layer1 3x3 convolution: 64 -> 64 channels at 56x56 (116M multiply-adds).
  auto [first, chosen] = choose({64, 64, 56, 3}, engine);
  if (!amx(first)) GTEST_SKIP() << "oneDNN chose no AMX kernel here: " << first;
  EXPECT_EQ(chosen, first);
}

}  // namespace
}  // namespace qcv::testing
