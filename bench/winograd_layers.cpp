// winograd_layers [BATCH]: oneDNN's direct FP32 convolution (channels-last, as the runtime runs
// it) against its Winograd one (its own blocked layouts, the reorders to and from channels-last
// timed with it) on ResNet's 3x3 stride-1 layers, best of 50 runs each at OMP_NUM_THREADS; the
// largest output difference; the weight transform's time. The measurements behind
// runtime::winograd_pays (src/runtime/dnnl_util.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const memory::dim batch = argc > 1 ? std::atoi(argv[1]) : 1;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0, 1);
  std::printf(
      "| channels | size | batch | direct ms | Winograd ms (kernel) | ratio | weight transform ms "
      "| max abs diff / max abs |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const auto& [c, hw] :
       {std::pair<memory::dim, memory::dim>{64, 56}, {128, 28}, {256, 14}, {512, 7}}) {
    const memory::dims src_d{batch, c, hw, hw}, w_d{c, c, 3, 3}, b_d{c};
    std::vector<float> x(batch * c * hw * hw), w(c * c * 9), b(c);
    for (float& v : x) v = std::max(0.f, normal(rng));
    for (float& v : w) v = normal(rng) * std::sqrt(2.f / (9 * c));
    for (float& v : b) v = normal(rng) * 0.1f;
    memory x_user({src_d, dt::f32, tag::nhwc}, eng, x.data());
    memory w_user({w_d, dt::f32, tag::oihw}, eng, w.data());
    memory b_user({b_d, dt::f32, tag::x}, eng, b.data());
    double best[2] = {1e9, 1e9}, transform_ms = 0;
    std::vector<float> y[2];
    std::string kernel;
    for (int wino = 0; wino < 2; ++wino) {
      const tag layout = wino ? tag::any : tag::nhwc;
      convolution_forward::desc d(
          prop_kind::forward_inference,
          wino ? algorithm::convolution_winograd : algorithm::convolution_direct,
          memory::desc(src_d, dt::f32, layout), memory::desc(w_d, dt::f32, tag::any),
          memory::desc(b_d, dt::f32, tag::x), memory::desc(src_d, dt::f32, layout), {1, 1}, {1, 1},
          {1, 1});
      convolution_forward::primitive_desc pd(d, eng);
      memory xs(pd.src_desc(), eng), ws(pd.weights_desc(), eng), ds(pd.dst_desc(), eng);
      memory y_user({src_d, dt::f32, tag::nhwc}, eng);
      reorder(x_user, xs).execute(s, x_user, xs);
      auto t0 = std::chrono::steady_clock::now();
      reorder(w_user, ws).execute(s, w_user, ws);
      s.wait();
      if (wino) transform_ms = ms_since(t0), kernel = pd.impl_info_str();
      reorder to_src(x_user, xs), from_dst(ds, y_user);
      convolution_forward conv(pd);
      for (int run = 0; run < 56; ++run) {
        t0 = std::chrono::steady_clock::now();
        if (wino) to_src.execute(s, x_user, xs);
        conv.execute(s, {{DNNL_ARG_SRC, xs},
                         {DNNL_ARG_WEIGHTS, ws},
                         {DNNL_ARG_BIAS, b_user},
                         {DNNL_ARG_DST, ds}});
        if (wino) from_dst.execute(s, ds, y_user);
        s.wait();
        if (run >= 6) best[wino] = std::min(best[wino], ms_since(t0));
      }
      if (!wino) from_dst.execute(s, ds, y_user), s.wait();
      const float* p = static_cast<const float*>(y_user.get_data_handle());
      y[wino].assign(p, p + x.size());
    }
    double diff = 0, scale = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      diff = std::max(diff, double(std::fabs(y[0][i] - y[1][i])));
      scale = std::max(scale, double(std::fabs(y[0][i])));
    }
    std::printf("| %lld | %lldx%lld | %lld | %.3f | %.3f (%s) | %.2f | %.1f | %.1e / %.2f |\n",
                (long long)c, (long long)hw, (long long)hw, (long long)batch, best[0], best[1],
                kernel.c_str(), best[1] / best[0], transform_ms, diff, scale);
  }
}
