#include "ir/limits.h"

#include <cerrno>
#include <cstdlib>

#include "ir/error.h"

namespace qcv::limits {
namespace {

// A ceiling from the environment (a positive integer, optionally with a K/M/G suffix), else the
// default. A malformed value is an error: silently ignoring it would hide the user's intent.
uint64_t from_env(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text, &end, 10);
  uint64_t scale = 1;
  if (*end == 'K' || *end == 'k') scale = 1ull << 10, ++end;
  else if (*end == 'M' || *end == 'm') scale = 1ull << 20, ++end;
  else if (*end == 'G' || *end == 'g') scale = 1ull << 30, ++end;
  uint64_t out = 0;
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v == 0 ||
      mul_overflows(v, scale, &out))
    fail("environment variable {}='{}' is not a positive size (e.g. 512M, 4G)", name, text);
  return out;
}

}  // namespace

uint64_t max_tensor_bytes() { return from_env("QCV_MAX_TENSOR_BYTES", 4ull << 30); }
uint64_t max_decompressed_bytes() { return from_env("QCV_MAX_DECOMPRESSED_BYTES", 8ull << 30); }
uint64_t max_graph_nodes() { return from_env("QCV_MAX_GRAPH_NODES", 1000000); }

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }
bool add_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_add_overflow(a, b, out); }

int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail("{}: negative dimension {} in shape", what, d);
    if (__builtin_mul_overflow(n, d, &n)) fail("{}: shape's element count overflows int64", what);
  }
  return n;
}

uint64_t checked_tensor_bytes(const std::vector<int64_t>& shape, uint64_t element_size,
                              const std::string& what) {
  uint64_t bytes = 0;
  if (mul_overflows(static_cast<uint64_t>(checked_numel(shape, what)), element_size, &bytes))
    fail("{}: tensor size overflows 64 bits", what);
  if (bytes > max_tensor_bytes())
    fail("{}: tensor of {} bytes exceeds the limit of {} bytes (set QCV_MAX_TENSOR_BYTES to raise it)",
         what, bytes, max_tensor_bytes());
  return bytes;
}

}  // namespace qcv::limits
