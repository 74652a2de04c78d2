// SubsetDataset and random_subset; the default Dataset::get_scaled.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "data/data.h"

namespace qcv::data {

Example Dataset::get_scaled(size_t index, const DecodeScale&) const { return get(index); }

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  if (!base_) fail("SubsetDataset: no base dataset");
  for (int64_t index : indices_)
    if (index < 0 || static_cast<size_t>(index) >= base_->size())
      fail("SubsetDataset: index {} out of range for {}", index, base_->description());
}

Example SubsetDataset::get(size_t index) const {
  if (index >= indices_.size())
    fail("{}: index {} out of range (size {})", description(), index, indices_.size());
  return base_->get(static_cast<size_t>(indices_[index]));
}

Example SubsetDataset::get_scaled(size_t index, const DecodeScale& scale) const {
  if (index >= indices_.size())
    fail("{}: index {} out of range (size {})", description(), index, indices_.size());
  return base_->get_scaled(static_cast<size_t>(indices_[index]), scale);
}

std::string SubsetDataset::description() const {
  return fmt::format("{} samples of {}", indices_.size(), base_->description());
}

std::shared_ptr<SubsetDataset> random_subset(std::shared_ptr<const Dataset> base, size_t count,
                                             uint64_t seed) {
  if (!base) fail("random_subset: no base dataset");
  const int64_t n = static_cast<int64_t>(base->size());
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // A partial Fisher-Yates: the first `count` positions are a uniform random sample.
  const int64_t take = std::min<int64_t>(static_cast<int64_t>(count), n);
  std::mt19937_64 rng(sample_seed(seed, -2, -2));
  for (int64_t i = 0; i < take; ++i) std::swap(order[i], order[uniform_int(rng, i, n - 1)]);
  order.resize(take);
  std::sort(order.begin(), order.end());
  return std::make_shared<SubsetDataset>(std::move(base), std::move(order));
}

}  // namespace qcv::data
