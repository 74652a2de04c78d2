// qcv::quant: post-training quantization. A scheme (a small table of rules) says which tensors get
// a QuantizeLinear->DequantizeLinear pair; calibrators turn observed activations into ranges; the
// PTQ pipeline writes an ONNX opset-13 QDQ graph. The same placement code serves QAT.
//
// Flow: plan_quantization(graph, scheme) -> calibrate (a Backend runs the graph and hands each
// observed tensor to the calibrators) -> compute_params -> insert_qdq -> validate_qdq.
// Rounding and saturation come from qcv::ref::quantize_value only.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::data {
class DataLoader;
}

namespace qcv::quant {

// ---------------------------------------------------------------------------------------------
// Schemes: rule tables, never code paths of their own.

struct QuantScheme {
  std::string name;
  ir::DType activation_dtype = ir::DType::Int8;  // Int8 or UInt8
  bool activation_symmetric = true;              // zero point 0 (int8) or range fitted (asymmetric)
  bool weight_per_channel = true;                // symmetric int8, per output channel
  // Weight bit width (2..8): values in [-2^(b-1), 2^(b-1)-1] stored in int8 (an int8 zero point,
  // so the file stays opset 13); the symmetric scale amax / (2^(b-1)-1) uses [-7, 7] for 4 bits.
  int weight_bits = 8;
  bool bias_int32 = false;  // Conv/Gemm bias as int32 (scale s_in * s_w) or kept FP32
  // Rule "input": float activation inputs of these ops are quantized.
  std::set<std::string> input_ops;
  // Rule "output": outputs of these ops are quantized, after a following fused activation.
  std::set<std::string> output_ops;
  std::set<std::string> fused_activations;  // activations fused into the op before it
  // Rule "graph-input": graph inputs are quantized.
  bool quantize_graph_inputs = false;
  // Rule "residual-add" (TensorRT): Add inputs are quantized except one branch produced by a Conv
  // (read only by the Add), which TensorRT fuses into that conv as its residual.
  bool residual_add_skip_conv_branch = false;
  // ORT's quantizer style: a Relu (or Clip with min 0) whose output is quantized with a range
  // starting at 0 is dropped, the Q saturation doing its job exactly.
  bool remove_relu_before_q = false;
  // A BatchNormalization no conv absorbs becomes a 1x1 depthwise Conv before placement
  // (passes::batch_norm_to_depthwise_conv): int8 weights and an int32 bias, as TFLite runs it.
  bool batch_norm_as_depthwise_conv = false;
  // Rule "fixed-output": the quantized output of these ops gets this range, not a calibrated one
  // (TFLite's int8 LOGISTIC writes scale 1/256, zero point -128 only).
  std::map<std::string, std::pair<float, float>> fixed_output_ranges;
};

// "tensorrt", "onnxruntime", "tflite"; throws qcv::Error listing them for anything else.
QuantScheme scheme_by_name(const std::string& name);
std::vector<std::string> scheme_names();

// Per-node overrides by node name or glob pattern ('*', '?'). Included nodes are quantized even if
// no scheme rule selects them, and include wins over exclude: --exclude '*' --include conv_3.
struct Overrides {
  std::vector<std::string> exclude;
  std::vector<std::string> include;
  // Weights of these nodes quantized per channel whatever the scheme says (qcv tune's ladder).
  std::vector<std::string> per_channel_weights;
  bool excluded(const std::string& node_name) const;
  bool included(const std::string& node_name) const;
  bool per_channel(const std::string& node_name) const;
};
bool glob_match(const std::string& pattern, const std::string& text);

// ---------------------------------------------------------------------------------------------
// Placement

enum class TensorRole { Activation, Weight, Bias };
const char* role_name(TensorRole role);

// A use of a value: input `input` of node `node` (index into graph.nodes).
struct Use {
  int node = -1;
  int input = 0;
  bool operator<(const Use& o) const { return node != o.node ? node < o.node : input < o.input; }
  bool operator==(const Use& o) const { return node == o.node && input == o.input; }
};

// One tensor to quantize, and the uses that read its Q->DQ version.
struct QuantTarget {
  std::string tensor;
  TensorRole role = TensorRole::Activation;
  std::string rule;  // why: "input:Conv", "output:Add", "residual-add", "weight", "include"...
  std::vector<Use> uses;
  ir::DType dtype = ir::DType::Int8;
  bool symmetric = true;
  int64_t axis = -1;  // per-channel axis (weights, biases); -1: per tensor
  int bits = 8;       // weights: QuantScheme::weight_bits
  // Bias only: the quantized input activation and weight whose scales make the bias scale.
  std::string bias_input, bias_weight;
  // Activation only: a Relu/Clip node to drop, Q reading its input (remove_relu_before_q).
  int removable_activation = -1;
  // Activation only: the scheme's fixed range for this op output (fixed_output_ranges).
  bool has_fixed_range = false;
  float fixed_min = 0, fixed_max = 0;
};

struct QuantPlan {
  std::vector<QuantTarget> targets;
  const QuantTarget* find(const std::string& tensor) const;
  std::vector<std::string> activation_tensors() const;  // what calibration observes
};

// Selects the tensors to quantize in an FP32 graph (shapes inferred). Deterministic: targets in
// node order. Weights must be initializers to be quantized.
QuantPlan plan_quantization(const ir::Graph& graph, const QuantScheme& scheme,
                            const Overrides& overrides = {});

// ---------------------------------------------------------------------------------------------
// Calibration

// Auto: per tensor, the method whose range quantizes it with the lowest error on the calibration
// data (calibration_guard.h).
enum class CalibrationMethod { Max, Percentile, Entropy, Mse, Auto };
CalibrationMethod method_by_name(const std::string& name);  // max|percentile|entropy|mse|auto
const char* method_name(CalibrationMethod method);

// Histogram of |x| over [0, max_abs] in equal bins (bin i covers [i*w, (i+1)*w), the last bin
// also holds max_abs itself).
struct Histogram {
  std::vector<double> counts;
  double max_abs = 0;
  double bin_width() const { return counts.empty() ? 0 : max_abs / counts.size(); }
  double total() const;
  void add(const float* x, size_t n);
};

// Thresholds (an amax for |x|) chosen from a histogram. levels: number of quantization steps
// between 0 and the threshold (127 for symmetric int8, 255 for a uint8 range starting at 0).
double percentile_threshold(const Histogram& h, double percentile);
// TensorRT's entropy calibration: bin 0 set to bin 1's count (Relu zeros; as NVIDIA's
// pytorch-quantization), candidates from `quantized_bins` bins up, reference P with the
// outliers folded into its last bin, Q = P merged into `quantized_bins` levels and expanded over
// P's non-empty bins, the threshold minimizing KL(P||Q) (ties: the largest).
double entropy_threshold(const Histogram& h, int quantized_bins = 128);
// The threshold (a bin edge) minimizing the expected squared quantization error, bin centers
// standing for their bin.
double mse_threshold(const Histogram& h, int levels);

// Observed statistics of one activation tensor, accumulated batch by batch.
struct TensorStats {
  float min = 0, max = 0;
  bool seen = false;
  Histogram hist;
  void add_range(const ir::Tensor& t);
};

// Sees one observed tensor of one batch (float32, the graph's plain layout).
using Observer = std::function<void(const std::string& name, const ir::Tensor& value)>;
// Runs a compiled graph on one batch of feeds (graph input name -> tensor), calling the observer
// once for each observed tensor.
using Runner = std::function<void(const std::map<std::string, ir::Tensor>&)>;
// Compiles a graph into a Runner observing `observed` (intermediate values, graph inputs or
// outputs). The runtime's Session hands each value over as soon as it is computed, so that a
// batch's activations are never all alive at once (runtime::SessionOptions::observe).
using Backend = std::function<Runner(const ir::Graph& graph,
                                     const std::vector<std::string>& observed, Observer observer)>;
// qcv::ref::run_graph with the observed values as extra outputs (slow, exact, every value of a
// batch held: for tests and small graphs).
Backend reference_backend();

// Calibration data: batches of graph feeds, replayable (histogram methods read it twice).
class CalibrationData {
 public:
  virtual ~CalibrationData() = default;
  virtual size_t num_batches() const = 0;
  virtual void rewind() = 0;
  virtual bool next(std::map<std::string, ir::Tensor>& feeds) = 0;
};
// A fixed list of feeds (tests).
std::unique_ptr<CalibrationData> feeds_data(std::vector<std::map<std::string, ir::Tensor>> batches);
// A DataLoader's images (one epoch, epoch 0 each pass) fed to the graph input `input_name`.
std::unique_ptr<CalibrationData> loader_data(std::shared_ptr<data::DataLoader> loader,
                                             std::string input_name);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::Max;
  double percentile = 99.99;
  int num_bins = 2048;
  // Progress lines ("calibration pass 1/2: batch k/N, ETA s") go here; default: stderr.
  std::function<void(const std::string&)> progress;
  bool show_progress = true;
};

// One progress line of a calibration-data pass, where `options` sends them (nothing when
// show_progress is off).
void report_progress(const CalibrationOptions& options, const std::string& line);
// Runs every batch of `data` (rewound first) through `run`; fails naming `pass` when there is none.
void run_every_batch(CalibrationData& data, const std::string& pass, const Runner& run);

// Streams the data through the graph. Pass 1 collects min/max; histogram methods run a second
// pass binning |x| over [0, max|x| of pass 1], so the histogram range never has to grow. Memory is
// independent of the number of batches.
std::map<std::string, TensorStats> collect_stats(const ir::Graph& graph,
                                                 const std::vector<std::string>& tensors,
                                                 const Backend& backend, CalibrationData& data,
                                                 const CalibrationOptions& options);

// The calibrated [min, max] of a tensor for a method (max: the observed range; otherwise the
// observed range clipped to [-T, T] for the method's threshold T). Not for Auto (choose_methods).
std::pair<float, float> calibrated_range(const TensorStats& stats,
                                         const CalibrationOptions& options, bool symmetric,
                                         ir::DType dtype);

// ---------------------------------------------------------------------------------------------
// Quantization parameters and QDQ insertion

struct QuantParams {
  std::vector<float> scale;  // one value, or one per channel along `axis`
  std::vector<int32_t> zero_point;
  int64_t axis = -1;
  ir::DType dtype = ir::DType::Int8;
  int bits = 8;  // int8 weights holding fewer bits: values in [-2^(bits-1), 2^(bits-1)-1]
  float range_min = 0, range_max = 0;  // the calibrated range (activations)
};

// Scale and zero point of a range: symmetric: scale = max(|min|, |max|) / qmax_sym, zero point 0;
// asymmetric: the range widened to hold 0, scale = (max - min) / (qmax - qmin), zero point
// round(qmin - min / scale). A zero range gets scale 1.
QuantParams params_for_range(float min, float max, ir::DType dtype, bool symmetric);
// Per-channel (axis >= 0) or per-tensor symmetric int8 parameters from a weight's abs-max:
// scale abs-max / (2^(bits-1) - 1), bits 2..8 (int4: values in [-7, 7] of an int8 tensor).
QuantParams weight_params(const ir::Tensor& weight, int64_t axis, int bits = 8);
// The quantized copy of a float constant (int8 weights within p.bits, int32 biases), rounded and
// saturated as QuantizeLinear does; and its dequantized float values.
ir::Tensor quantize_constant(const ir::Tensor& x, const QuantParams& p);
ir::Tensor dequantize_constant(const ir::Tensor& q, const QuantParams& p);

struct InsertOptions {
  // true: weights stored as int8 initializers read by a DequantizeLinear (PTQ files); false:
  // float weights kept behind a QuantizeLinear->DequantizeLinear pair (QAT, trainable).
  bool fold_weights = true;
};

// Writes the QDQ graph: for each target, Q/DQ nodes (scales and zero points as initializers)
// and its uses rewired to the DQ output. `params` maps target tensor -> parameters; weights and
// biases missing from it are computed here. Returns the parameters used for every target.
std::map<std::string, QuantParams> insert_qdq(ir::Graph& graph, const QuantPlan& plan,
                                              std::map<std::string, QuantParams> params,
                                              const InsertOptions& options = {});

// Checks the QuantizeLinear/DequantizeLinear nodes of a graph: scales float32, finite and > 0,
// zero points of the right type and count (0 for int32), per-axis sizes matching the axis.
// Throws qcv::Error naming the node.
void validate_qdq(const ir::Graph& graph);

// ---------------------------------------------------------------------------------------------
// Advanced PTQ passes on the FP32 graph (BN already folded)

// Cross-layer equalization (equalize.cpp) of Conv -> [Relu | Clip(0, M)] -> Conv pairs (also
// with no activation; the second conv plain or depthwise): output channel i of the first conv
// scaled by 1/s_i, input channel i of the second by s_i, s_i = sqrt(r1_i * r2_i) / r2_i from
// the per-channel weight abs-max, so both get the range sqrt(r1_i * r2_i). Repeated over all
// pairs until no s_i moves by more than `tolerance` (in log) or `max_rounds`.
// Clip(0, M) (ReLU6) is not positive-homogeneous: min(x / s, M) != min(x, M) / s. Policies:
// PerChannelClip (exact): the Clip becomes Relu -> Min(x, M / s_i per channel); Relu: the Clip
// becomes a Relu (the DFQ paper's choice for MobileNetV2; the FP32 function changes where the
// pre-activation exceeds M); Skip: the pair is left alone.
enum class Relu6Policy { PerChannelClip, Relu, Skip };
Relu6Policy relu6_policy_by_name(const std::string& name);  // clip | relu | skip
struct EqualizeOptions {
  Relu6Policy relu6 = Relu6Policy::PerChannelClip;
  int max_rounds = 20;
  double tolerance = 1e-3;
};
struct EqualizeReport {
  int pairs = 0, rounds = 0;
  int clips_made_per_channel = 0, clips_replaced = 0;
  std::vector<std::string> skipped;  // "Conv 'x': why" for conv -> act -> conv chains left alone
};
EqualizeReport equalize_cross_layer(ir::Graph& graph, const EqualizeOptions& options = {});

// High-bias absorption (high_bias.cpp; Nagel et al. 2019, section 4.2) after CLE, for conv1 ->
// Relu [-> Min(per-channel bound), CLE's exact ReLU6] -> conv2 (plain or depthwise): c_i, the
// `quantile` of channel i's pre-activation over the calibration data (floored to a histogram bin
// edge, at least its observed min, at most the Min bound, 0 when negative), leaves conv1's bias
// (and the bound) and enters conv2's bias as sum over taps W2[:, i] c_i. Exact wherever the
// pre-activation stays >= c_i. A conv2 that zero-pads is skipped unless padded_second_conv (then
// exact only away from its borders: the padding does not see c). A ReLU6 Clip (no CLE, or
// --cle-relu6 skip) is skipped: its upper bound would need the per-channel Min that CLE makes.
struct HighBiasOptions {
  double quantile = 0.001;  // of the pre-activation values per channel (0: the observed min)
  int bins = 512;           // histogram bins over [0, max] per channel
  bool padded_second_conv = false;
};
struct HighBiasReport {
  struct Pair {
    std::string conv1, conv2;
    std::vector<float> c;  // per channel of conv1's output
  };
  int pairs = 0, channels = 0;  // pairs with some c_i > 0; channels with c_i > 0
  std::vector<Pair> absorbed;
  std::vector<std::string> skipped;  // "Conv 'x': why"
};
HighBiasReport absorb_high_biases(ir::Graph& graph, const Backend& backend, CalibrationData& data,
                                  const HighBiasOptions& options,
                                  const CalibrationOptions& progress);

// Empirical bias correction (bias_correction.cpp): for each Conv/Gemm whose weight the plan
// quantizes, the bias gains E[y_fp32 - y_wq] per output channel, the mean over the calibration
// data of the output with FP32 weights minus the output with the weights as quantized (the same
// FP32 inputs): by linearity conv(E[x], W - dq(q(W))) averaged over positions. A missing bias is
// added. Returns the number of biases corrected.
int correct_bias(ir::Graph& graph, const QuantPlan& plan, const Backend& backend,
                 CalibrationData& data, const CalibrationOptions& progress);

// ---------------------------------------------------------------------------------------------
// Report and pipeline

struct ReportEntry {
  std::string tensor;
  TensorRole role = TensorRole::Activation;
  std::string rule;
  std::vector<std::string> consumers;  // node names reading the DQ output
  QuantParams params;
  std::string method;  // activations: the calibration method of the range (auto: the chosen one)
  std::map<std::string, double> method_mse;  // auto: each candidate's error (calibration_guard.h)
};
struct QuantReport {
  std::string scheme, method;
  std::vector<ReportEntry> entries;
  std::string to_text() const;
  std::string to_json() const;  // {"scheme":..., "method":..., "tensors":[...]}
};

struct AdaRoundOptions;  // quant/adaround.h
struct AdaRoundReport;

struct PtqOptions {
  QuantScheme scheme = scheme_by_name("tensorrt");
  Overrides overrides;
  CalibrationOptions calibration;
  InsertOptions insert;
  bool optimize = true;  // passes::optimize first (BN folded into convs)
  bool equalize = false;  // cross-layer equalization after optimize
  EqualizeOptions equalization;
  bool bias_correction = false;  // empirical bias correction before calibration
  // High-bias absorption after CLE (c measured on the calibration data).
  bool absorb_high_bias = false;
  HighBiasOptions high_bias;
  std::shared_ptr<const AdaRoundOptions> adaround;  // learned weight rounding when set
};

struct PtqResult {
  ir::Graph graph;  // the QDQ graph, validated, shapes inferred
  QuantPlan plan;
  QuantReport report;
  std::map<std::string, TensorStats> stats;  // calibration statistics per observed tensor
  EqualizeReport equalization;                     // when PtqOptions::equalize
  int biases_corrected = 0;                        // when PtqOptions::bias_correction
  HighBiasReport high_bias;                        // when PtqOptions::absorb_high_bias
  std::shared_ptr<const AdaRoundReport> adaround;  // when PtqOptions::adaround
};

// FP32 graph -> optimize -> placement -> calibration -> QDQ graph.
PtqResult quantize_ptq(ir::Graph graph, const Backend& backend, CalibrationData& data,
                       const PtqOptions& options);

// ---------------------------------------------------------------------------------------------
// QAT (qat.cpp): the QAT graph is the PTQ graph with float weights behind Q->DQ pairs.

// quantize_ptq with InsertOptions::fold_weights = false: same optimization (BN folded into the
// convs: the trained graph is the exported one), placement, exclusions and calibration.
// batch_norm: "fold" (BN folded before placement, as PTQ), or "keep" / "fold-after": the
// placement and ranges are those of the folded graph, then each folded Conv -> BN is restored
// (restore_batch_norm) for training with BN (train/qat_batch_norm.h).
PtqResult prepare_qat(ir::Graph graph, const Backend& backend, CalibrationData& data,
                      PtqOptions options, const std::string& batch_norm = "fold");

// In a QAT graph made from `fp32` with BN folded, puts each folded conv's BN back: the conv gets
// its unfolded weight (still behind its fake-quant pair) and bias, followed by the original
// BatchNormalization. weights_see_folding: the weight scales stay those of the folded weights
// (fold-after: the fake quantization sees W * gamma / sigma); else they are refit to W (keep).
// Returns the number restored.
int restore_batch_norm(ir::Graph& qat, const ir::Graph& fp32, bool weights_see_folding);
// Export of a QAT graph trained with BN: each Conv (weight behind a fake-quant pair) ->
// inference BatchNormalization becomes one conv with weight W * gamma / sigma (its scales refit
// to it, as the folded fake quantization computed them) and bias beta + (b - mean) * gamma /
// sigma. Returns the number folded.
int fold_qat_batch_norm(ir::Graph& graph);

// Export of a trained QAT graph: every float initializer -> QuantizeLinear -> DequantizeLinear
// chain becomes an int8 initializer -> DequantizeLinear (values rounded exactly as the Q does),
// so that the file is what PTQ writes. Returns the number of weights folded.
int fold_weight_quantization(ir::Graph& graph);

}  // namespace qcv::quant
