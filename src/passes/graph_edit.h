// Small graph-editing helpers shared by the passes (internal to qcv_passes).
#pragma once
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::passes {

// Number of reads of `value`: node input slots plus graph outputs naming it.
int count_reads(const ir::Graph& g, const std::string& value);
// Whether any node or graph output reads `value`.
inline bool is_read(const ir::Graph& g, const std::string& value) {
  return !value.empty() && count_reads(g, value) > 0;
}
// Makes every node input that reads `from` read `to` instead (graph outputs are left alone).
void replace_reads(ir::Graph& g, const std::string& from, const std::string& to);
// Removes the nodes whose indices are flagged.
void erase_nodes(ir::Graph& g, const std::vector<bool>& remove);

// Removes node `index`, whose output 0 carries the same data as its input `source`, rewiring its
// readers to `source`. If the output is a graph output, the output name is kept by renaming the
// producer of `source` instead. Returns false (graph untouched) when that is impossible: the
// source is a graph input, an initializer or itself a graph output.
// (source is taken by value: callers pass a node input that the rewiring overwrites.)
bool bypass_node(ir::Graph& g, size_t index, std::string source);

}  // namespace qcv::passes
