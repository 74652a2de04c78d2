#include "armnn_runner.h"

#include <armnn/ArmNN.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>
#include <stdexcept>

namespace qcv::test {

struct ArmnnModel::Impl {
  armnnTfLiteParser::ITfLiteParserPtr parser = armnnTfLiteParser::ITfLiteParser::Create();
  armnn::IRuntimePtr runtime{nullptr, nullptr};
  armnn::NetworkId id = 0;
  armnn::BindingPointInfo in, out;
};

namespace {
std::vector<unsigned int> dims(const armnn::TensorInfo& info) {
  std::vector<unsigned int> d;
  for (unsigned int i = 0; i < info.GetNumDimensions(); ++i) d.push_back(info.GetShape()[i]);
  return d;
}
}  // namespace

ArmnnModel::ArmnnModel(const std::string& bytes) : impl_(std::make_unique<Impl>()) {
  armnn::INetworkPtr net =
      impl_->parser->CreateNetworkFromBinary(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  armnn::IRuntime::CreationOptions options;
  // Debian ships CpuRef as a dynamic backend, loaded from this folder (found at configure time).
  options.m_DynamicBackendsPath = QCV_ARMNN_BACKEND_DIR;
  impl_->runtime = armnn::IRuntime::Create(options);
  std::vector<std::string> messages;
  armnn::OptimizerOptions opt;
  armnn::IOptimizedNetworkPtr optimized =
      armnn::Optimize(*net, {armnn::Compute::CpuRef}, impl_->runtime->GetDeviceSpec(), opt,
                      armnn::Optional<std::vector<std::string>&>(messages));
  if (!optimized) {
    std::string all;
    for (const auto& m : messages) all += m + "; ";
    throw std::runtime_error("Arm NN could not optimize the network for CpuRef: " + all);
  }
  std::string error;
  if (impl_->runtime->LoadNetwork(impl_->id, std::move(optimized), error) != armnn::Status::Success)
    throw std::runtime_error("Arm NN could not load the network: " + error);
  const auto inputs = impl_->parser->GetSubgraphInputTensorNames(0);
  const auto outputs = impl_->parser->GetSubgraphOutputTensorNames(0);
  if (inputs.size() != 1 || outputs.size() != 1)
    throw std::runtime_error("expected one input and one output");
  impl_->in = impl_->parser->GetNetworkInputBindingInfo(0, inputs[0]);
  impl_->out = impl_->parser->GetNetworkOutputBindingInfo(0, outputs[0]);
}

ArmnnModel::~ArmnnModel() = default;

std::vector<unsigned int> ArmnnModel::input_shape() const { return dims(impl_->in.second); }
std::vector<unsigned int> ArmnnModel::output_shape() const { return dims(impl_->out.second); }

std::vector<float> ArmnnModel::run(const std::vector<float>& input) const {
  const armnn::TensorInfo& in_info = impl_->in.second;
  if (input.size() != in_info.GetNumElements()) throw std::runtime_error("input size mismatch");
  std::vector<float> output(impl_->out.second.GetNumElements());
  armnn::InputTensors inputs{{impl_->in.first, armnn::ConstTensor(in_info, input.data())}};
  armnn::OutputTensors outputs{{impl_->out.first, armnn::Tensor(impl_->out.second, output.data())}};
  if (impl_->runtime->EnqueueWorkload(impl_->id, inputs, outputs) != armnn::Status::Success)
    throw std::runtime_error("Arm NN EnqueueWorkload failed");
  return output;
}

}  // namespace qcv::test
