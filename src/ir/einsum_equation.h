// Einsum's equation ("bij,bjk->bik", "...ii->...i", implicit "ij,jk"), parsed against the
// operand ranks. Shared by shape inference and the reference kernel so that both read it alike.
#pragma once
#include <string>
#include <vector>

namespace qcv::ir {

struct EinsumEquation {
  // Per operand, the label of each dimension. Letters are labels 0..51 (A-Z then a-z); the
  // dimensions an ellipsis stands for are labels 52.. (right-aligned across operands, like
  // broadcasting). A label repeated within one operand means its diagonal.
  std::vector<std::vector<int>> operands;
  std::vector<int> output;  // labels of the output dimensions
  int num_labels = 0;       // labels are 0..num_labels-1 (some may be unused)
};

// Throws qcv::Error (prefixed with `where`) on a malformed equation or a rank mismatch.
EinsumEquation parse_einsum(const std::string& equation, const std::vector<size_t>& ranks,
                            const std::string& where);

}  // namespace qcv::ir
