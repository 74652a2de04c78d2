// TensorBoard event files (scalars), written without TensorFlow.
//
// A file is a sequence of TFRecords:  uint64 length | uint32 masked_crc32c(length bytes) |
// data | uint32 masked_crc32c(data), little-endian, where masked(c) = ((c >> 15) | (c << 17)) +
// 0xa282ead8. Each data is a serialized tensorflow.Event protobuf, hand-encoded here:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
// Wire format: each field is a varint key (field_number << 3 | wire_type) then its payload:
// wire type 0 varint (step), 1 fixed 8 bytes (wall_time), 2 length-delimited (strings, nested
// messages), 5 fixed 4 bytes (simple_value). The first record carries file_version
// "brain.Event:2".
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace qcv::train {

// CRC-32C (Castagnoli), as TFRecord uses: crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t size);
uint32_t masked_crc32c(const void* data, size_t size);

// Serialized Event bytes (exposed for tests).
std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag,
                                float value);
std::string encode_file_version_event(double wall_time);
// One TFRecord framing `data`.
std::string tfrecord(const std::string& data);

class EventWriter {
 public:
  // Creates dir/events.out.tfevents.<seconds>.<host>.qcv (appending records as they come).
  explicit EventWriter(const std::string& dir);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;
  void scalar(const std::string& tag, float value, int64_t step);
  void flush();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace qcv::train
