#include "data/file_io.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "ir/error.h"

namespace qcv::data {

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail("{}: cannot open: {}", path, std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file.get())) > 0)
    bytes.insert(bytes.end(), chunk, chunk + got);
  if (std::ferror(file.get())) fail("{}: read error: {}", path, std::strerror(errno));
  return bytes;
}

std::vector<uint8_t> read_file_prefix(const std::string& path, size_t max_bytes, bool* whole) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail("{}: cannot open: {}", path, std::strerror(errno));
  std::vector<uint8_t> bytes(max_bytes + 1);  // one more byte tells whether the file is longer
  size_t got = std::fread(bytes.data(), 1, bytes.size(), file.get());
  if (std::ferror(file.get())) fail("{}: read error: {}", path, std::strerror(errno));
  *whole = got <= max_bytes;
  bytes.resize(std::min(got, max_bytes));
  return bytes;
}

bool is_gzip(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& path) {
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  // 16 + MAX_WBITS: expect a gzip header and trailer (CRC and length are checked by zlib).
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) fail("{}: cannot initialize zlib", path);
  std::vector<uint8_t> out;
  out.resize(std::max<size_t>(compressed.size() * 4, 1 << 16));
  stream.next_in = const_cast<Bytef*>(compressed.data());
  size_t consumed = 0;
  size_t produced = 0;
  for (;;) {
    // Feed at most 1 GiB at a time: avail_in is 32-bit.
    size_t in_left = compressed.size() - consumed;
    stream.next_in = const_cast<Bytef*>(compressed.data() + consumed);
    stream.avail_in = static_cast<uInt>(std::min<size_t>(in_left, 1u << 30));
    if (produced == out.size()) out.resize(out.size() * 2);
    stream.next_out = out.data() + produced;
    stream.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    uInt avail_in_before = stream.avail_in;
    uInt avail_out_before = stream.avail_out;
    int rc = inflate(&stream, Z_NO_FLUSH);
    consumed += avail_in_before - stream.avail_in;
    produced += avail_out_before - stream.avail_out;
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are one file (gzip -c a b > c); anything else is trailing junk.
      if (consumed < compressed.size() && compressed[consumed] == 0x1f) {
        inflateReset(&stream);
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && consumed == compressed.size() && stream.avail_out > 0) {
      inflateEnd(&stream);
      fail("{}: truncated gzip data (stream ends after {} compressed bytes)", path, consumed);
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      std::string message = stream.msg ? stream.msg : "error " + std::to_string(rc);
      inflateEnd(&stream);
      fail("{}: corrupt gzip data: {}", path, message);
    }
  }
  inflateEnd(&stream);
  out.resize(produced);
  return out;
}

std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  if (is_gzip(bytes)) return gunzip(bytes, path);
  return bytes;
}

}  // namespace qcv::data
