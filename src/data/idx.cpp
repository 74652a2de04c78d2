#include "data/idx.h"

#include <fmt/format.h>

#include <algorithm>

#include "ir/error.h"
#include "ir/limits.h"

namespace qcv::data {
namespace {

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

}  // namespace

IdxReader::IdxReader(const std::string& path, size_t expected_rank, const char* kind)
    : stream_(std::make_unique<ByteStream>(path)) {
  uint8_t magic[4] = {0, 0, 0, 0};
  size_t got = stream_->read(magic, 4);
  if (got < 4) fail("{}: truncated IDX file: {} bytes, no header", path, got);
  if (magic[0] != 0 || magic[1] != 0)
    fail("{}: bad IDX magic {:02x} {:02x} {:02x} {:02x} (expected 00 00 08 0{})", path, magic[0],
         magic[1], magic[2], magic[3], expected_rank);
  if (magic[2] != 0x08)
    fail("{}: IDX element type 0x{:02x} is not supported (only 0x08, unsigned byte)", path,
         magic[2]);
  if (magic[3] != expected_rank)
    fail("{}: IDX file has {} dimensions, expected {} for an {} file", path, magic[3],
         expected_rank, kind);
  std::vector<uint8_t> header(4 * expected_rank);
  got = stream_->read(header.data(), header.size());
  if (got < header.size())
    fail("{}: truncated IDX header: {} bytes, expected {}", path, 4 + got, 4 + header.size());
  std::vector<int64_t> shape;
  for (size_t i = 0; i < expected_rank; ++i) {
    dims_.push_back(read_be32(header.data() + 4 * i));
    shape.push_back(dims_.back());
  }
  // Dimensions of up to 2^32 - 1 each: the product is checked, then held against the ceiling.
  data_bytes_ = limits::checked_tensor_bytes(
      shape, 1, fmt::format("{}: IDX dimensions [{}]", path, fmt::join(dims_, ", ")));
  const uint64_t header_bytes = 4 + header.size();
  if (!stream_->compressed()) {
    // Uncompressed: the file's size says now whether the data is all there.
    uint64_t payload = stream_->file_size() - std::min(stream_->file_size(), header_bytes);
    if (payload < data_bytes_)
      fail("{}: truncated IDX data: dimensions [{}] need {} bytes, file has {}", path,
           fmt::join(dims_, ", "), data_bytes_, payload);
    if (payload > data_bytes_)
      fail("{}: IDX size mismatch: dimensions [{}] need {} bytes, file has {} (extra data)", path,
           fmt::join(dims_, ", "), data_bytes_, payload);
  }
}

std::vector<uint8_t> IdxReader::read_data() {
  // Grow with the data actually inflated: a header claiming gigabytes over a few bytes of gzip
  // costs only what the stream really yields.
  constexpr uint64_t kChunk = 16 << 20;
  std::vector<uint8_t> data;
  uint64_t have = 0;
  while (have < data_bytes_) {
    size_t step = static_cast<size_t>(std::min(kChunk, data_bytes_ - have));
    if (data.capacity() < have + step)
      data.reserve(static_cast<size_t>(std::min(data_bytes_, std::max(have * 2, have + step))));
    data.resize(have + step);
    size_t got = stream_->read(data.data() + have, step);
    have += got;
    if (got < step)
      fail("{}: truncated IDX data: dimensions [{}] need {} bytes, {} has {}", stream_->path(),
           fmt::join(dims_, ", "), data_bytes_,
           stream_->compressed() ? "the inflated file" : "the file", have);
  }
  uint8_t extra = 0;
  if (stream_->read(&extra, 1) != 0)
    fail("{}: IDX size mismatch: dimensions [{}] need {} bytes, the {}file has more (extra data)",
         stream_->path(), fmt::join(dims_, ", "), data_bytes_,
         stream_->compressed() ? "inflated " : "");
  return data;
}

}  // namespace qcv::data
