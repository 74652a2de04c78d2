// SessionOptions::observe: intermediate values handed over as they are computed (calibration),
// with the same numbers as the reference kernels and without keeping them alive.
#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

namespace {

struct Observed {
  std::map<std::string, ir::Tensor> values;
  std::map<std::string, int> calls;
  runtime::ValueObserver observer() {
    return [this](const std::string& name, const ir::Tensor& t) {
      values[name] = t.clone();
      ++calls[name];
    };
  }
};

// conv -> relu (fusable), conv + residual (sum post-op), pool, flatten (view), gemm.
struct Net {
  ir::Graph g;
  std::string input, conv1, relu1, conv2, add, relu2, flat, logits;
};

Net residual_net() {
  GraphMaker m;
  Net n;
  n.input = m.input("image", {-1, 3, 11, 9});
  n.conv1 = m.conv(n.input, 3, 8, 3, {{"pads", Ints{1, 1, 1, 1}}});
  n.relu1 = m.node("Relu", {n.conv1});
  n.conv2 = m.conv(n.relu1, 8, 8, 3, {{"pads", Ints{1, 1, 1, 1}}});
  n.add = m.node("Add", {n.conv2, n.relu1});
  n.relu2 = m.node("Relu", {n.add});
  n.flat = m.node("Flatten", {m.node("GlobalAveragePool", {n.relu2})});
  n.logits =
      m.node("Gemm", {n.flat, m.constant({4, 8}), m.constant({4})}, {{"transB", int64_t{1}}});
  m.output(n.logits);
  n.g = m.g;
  return n;
}

// Chain of `depth` conv+relu layers at 16x32x32: every relu output is 64 KiB at batch 1.
ir::Graph conv_chain(int depth, std::vector<std::string>* relus) {
  GraphMaker m;
  std::string h = m.input("x", {1, 16, 32, 32});
  for (int i = 0; i < depth; ++i) {
    h = m.node("Relu", {m.conv(h, 16, 16, 3, {{"pads", Ints{1, 1, 1, 1}}})});
    relus->push_back(h);
  }
  m.output(m.node("GlobalAveragePool", {h}));
  return m.g;
}

}  // namespace

TEST(RuntimeObserve, ObservedValuesEqualTheReference) {
  const Net n = residual_net();
  // Fused-away values (conv1 before its Relu, conv2 and the Add inside the residual chain), a
  // view, the graph input and the graph output.
  const std::vector<std::string> names = {n.input, n.conv1, n.relu1, n.conv2,
                                          n.add,   n.relu2, n.flat,  n.logits};
  Observed seen;
  runtime::SessionOptions o;
  o.threads = 2;
  o.observe = names;
  o.observer = seen.observer();
  runtime::Session s(n.g, o);
  ASSERT_EQ(s.outputs().size(), 1u);  // observed values are not results

  ir::Graph with_outputs = n.g;
  with_outputs.outputs.clear();
  for (const auto& name : names) with_outputs.outputs.push_back(ir::make_value(name));
  for (int64_t batch : {2, 5}) {
    seen = {};
    const std::map<std::string, ir::Tensor> feeds = {
        {"image", random_tensor({batch, 3, 11, 9}, static_cast<uint32_t>(batch))}};
    const std::vector<ir::Tensor> results = s.run(feeds);
    const std::vector<ir::Tensor> want = ref::run_graph(with_outputs, feeds);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_LT(relative_error(results[0], want.back()), 1e-5);
    for (size_t k = 0; k < names.size(); ++k) {
      EXPECT_EQ(seen.calls[names[k]], 1) << names[k];
      ASSERT_TRUE(seen.values.count(names[k])) << names[k];
      EXPECT_LT(relative_error(seen.values[names[k]], want[k]), 1e-5)
          << names[k] << " at batch " << batch;
    }
  }
}

TEST(RuntimeObserve, ObservedBuffersAreReused) {
  std::vector<std::string> relus;
  const ir::Graph g = conv_chain(8, &relus);
  const size_t value_bytes = 16 * 32 * 32 * sizeof(float);

  runtime::Session plain(g, {2, true});
  Observed seen;
  runtime::SessionOptions o{2, true};
  o.observe = relus;
  o.observer = seen.observer();
  runtime::Session observing(g, o);
  ir::Graph all_outputs = g;
  for (const auto& r : relus) all_outputs.outputs.push_back(ir::make_value(r));
  runtime::Session holding(all_outputs, {2, true});

  const std::map<std::string, ir::Tensor> feeds = {{"x", random_tensor({1, 16, 32, 32}, 3)}};
  observing.run(feeds);
  EXPECT_EQ(seen.values.size(), relus.size());
  // Observing costs no activation memory; holding every value as an output costs all of them.
  EXPECT_EQ(observing.peak_activation_bytes(), plain.peak_activation_bytes());
  EXPECT_GE(holding.peak_activation_bytes(), relus.size() * value_bytes);
  EXPECT_LT(observing.peak_activation_bytes(), 4 * value_bytes);
}

TEST(RuntimeObserve, BadObserveOptionsFail) {
  const Net n = residual_net();
  runtime::SessionOptions no_observer;
  no_observer.observe = {n.relu1};
  EXPECT_THROW(runtime::Session(n.g, no_observer), Error);
  Observed seen;
  runtime::SessionOptions unknown;
  unknown.observe = {"no_such_value"};
  unknown.observer = seen.observer();
  try {
    runtime::Session s(n.g, unknown);
    FAIL() << "expected an error for an unknown observed value";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_value"), std::string::npos) << e.what();
  }
}
