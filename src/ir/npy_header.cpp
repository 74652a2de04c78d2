#include "ir/npy_header.h"

#include <cctype>
#include <cstring>

#include "ir/limits.h"

namespace qcv::ir {

namespace {

struct NpyType {
  const char* descr;
  DType dtype;
};
// '<' little endian, '|' not applicable (one byte); numpy also writes '=' never, '>' on request.
constexpr NpyType kTypes[] = {
    {"<f4", DType::Float32}, {"<f8", DType::Float64}, {"|u1", DType::UInt8},  {"|i1", DType::Int8},
    {"<u2", DType::UInt16},  {"<i2", DType::Int16},   {"<i4", DType::Int32},  {"<u4", DType::UInt32},
    {"<i8", DType::Int64},   {"<u8", DType::UInt64},  {"|b1", DType::Bool}};

// A cursor over the header's dict literal; every error names the file.
class Reader {
 public:
  Reader(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  [[noreturn]] void error(const std::string& what) const {
    fail("{}: bad .npy header: {} (at byte {} of {})", path_, what, i_, s_.size());
  }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool accept(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void expect(char c) {
    if (!accept(c)) error(fmt::format("expected '{}'", c));
  }
  bool at_end() {
    skip_space();
    return i_ == s_.size();
  }
  std::string string_literal() {
    skip_space();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) error("expected a quoted string");
    const char quote = s_[i_++];
    const size_t end = s_.find(quote, i_);
    if (end == std::string::npos) error("unterminated string");
    std::string out = s_.substr(i_, end - i_);
    if (out.find('\\') != std::string::npos) error("escapes in strings are not supported");
    i_ = end + 1;
    return out;
  }
  std::string word() {
    skip_space();
    size_t start = i_;
    while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
    return s_.substr(start, i_ - start);
  }
  // A non-negative decimal integer; 32.9, 1e3, -1 or 0x10 are refused rather than misread.
  int64_t dimension() {
    skip_space();
    size_t start = i_;
    int64_t v = 0;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s_[i_] - '0', &v))
        error("a dimension does not fit in int64");
      ++i_;
    }
    // Python also accepts a trailing 'L' (numpy < 1.x wrote it on Python 2).
    if (i_ < s_.size() && s_[i_] == 'L' && i_ > start) ++i_;
    if (i_ == start || (i_ < s_.size() && !std::strchr(" \t,)", s_[i_])))
      error("a shape entry is not a non-negative integer");
    return v;
  }
  // (), (3,), (1, 3) or (1, 3,): Python's tuple syntax; (3) is an int, not a tuple.
  Shape shape_tuple() {
    expect('(');
    Shape shape;
    if (accept(')')) return shape;
    for (;;) {
      shape.push_back(dimension());
      bool comma = accept(',');
      if (accept(')')) {
        if (shape.size() == 1 && !comma) error("shape (n) is not a tuple; numpy writes (n,)");
        return shape;
      }
      if (!comma) error("expected ',' or ')' in the shape");
      if (shape.size() > 64) error("more than 64 dimensions");
    }
  }

 private:
  const std::string& s_;
  const std::string& path_;
  size_t i_ = 0;
};

uint32_t little_endian(const std::string& bytes, size_t at, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint32_t(static_cast<uint8_t>(bytes[at + i])) << (8 * i);
  return v;
}

// Version byte -> (size of the length field, offset of the header text).
std::pair<int, size_t> layout(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail("{}: not a .npy file", path);
  const int major = static_cast<uint8_t>(bytes[6]);
  if (major == 1) return {2, 10};
  if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail("{}: truncated .npy header", path);
    return {4, 12};
  }
  fail("{}: unsupported .npy version {}.{}", path, major, static_cast<uint8_t>(bytes[7]));
}

}  // namespace

const char* npy_descr(DType dtype) {
  for (const NpyType& t : kTypes)
    if (t.dtype == dtype) return t.descr;
  return nullptr;
}

size_t npy_header_end(const std::string& preamble, const std::string& path) {
  const auto [width, offset] = layout(preamble, path);
  const size_t header_len = little_endian(preamble, 8, width);
  if (header_len > kMaxNpyHeaderBytes)
    fail("{}: .npy header of {} bytes is larger than qcv reads ({})", path, header_len,
         kMaxNpyHeaderBytes);
  return offset + header_len;
}

NpyHeader parse_npy_header(const std::string& prefix, const std::string& path) {
  const size_t end = npy_header_end(prefix, path);
  if (prefix.size() < end) fail("{}: truncated .npy header", path);
  const size_t offset = layout(prefix, path).second;
  const std::string text = prefix.substr(offset, end - offset);

  Reader r(text, path);
  std::string descr;
  bool has_descr = false, has_order = false, has_shape = false, fortran = false;
  NpyHeader h;
  r.expect('{');
  while (!r.accept('}')) {
    const std::string key = r.string_literal();
    r.expect(':');
    if (key == "descr" && !has_descr) {
      descr = r.string_literal();
      has_descr = true;
    } else if (key == "fortran_order" && !has_order) {
      const std::string v = r.word();
      if (v != "True" && v != "False") r.error("fortran_order is neither True nor False");
      fortran = v == "True";
      has_order = true;
    } else if (key == "shape" && !has_shape) {
      h.shape = r.shape_tuple();
      has_shape = true;
    } else {
      r.error(fmt::format("unexpected or repeated key '{}'", key));
    }
    if (!r.accept(',')) {
      r.expect('}');
      break;
    }
  }
  if (!r.at_end()) r.error("bytes after the closing '}'");
  if (!has_descr || !has_order || !has_shape)
    fail("{}: bad .npy header: needs the keys 'descr', 'fortran_order' and 'shape'", path);
  if (fortran)
    fail("{}: Fortran-order arrays are not supported (save np.ascontiguousarray(a))", path);
  for (const NpyType& t : kTypes)
    if (descr == t.descr) h.dtype = t.dtype;
  if (h.dtype == DType::Undefined)
    fail("{}: unsupported .npy dtype '{}' (qcv reads little-endian bool, integers, float32/64)",
         path, descr);
  h.data_offset = end;
  h.payload_bytes = limits::checked_tensor_bytes(h.shape, dtype_size(h.dtype), path);
  return h;
}

}  // namespace qcv::ir
