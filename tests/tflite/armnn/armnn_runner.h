// Runs a .tflite file with Arm NN's TFLite parser on its CpuRef backend: an independent reader
// and executor of the files qcv writes (one float32 input, one float32 output).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qcv::test {

class ArmnnModel {
 public:
  // Parses, optimizes for CpuRef and loads the model; throws std::runtime_error (Arm NN's
  // message) when Arm NN refuses it.
  explicit ArmnnModel(const std::string& tflite_bytes);
  ~ArmnnModel();
  std::vector<unsigned int> input_shape() const;
  std::vector<unsigned int> output_shape() const;
  std::vector<float> run(const std::vector<float>& input) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qcv::test
